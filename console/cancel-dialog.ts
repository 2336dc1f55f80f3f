/**
 * "Cancel this job?" as a native modal dialog: it keeps focus inside itself, Escape closes it, and
 * focus starts on the safe choice, so that Enter pressed once too often keeps the job running.
 */
import { h, uniqueId } from './dom.ts';
import { visible } from './format.ts';

/** Resolves true when the reader confirms; focus goes back to `opener` either way. */
export function confirmCancel(jobId: string, opener: HTMLElement, signal: AbortSignal): Promise<boolean> {
  const titleId = uniqueId('cancel-title');
  const textId = uniqueId('cancel-text');
  const keep = h('button', { type: 'button', class: 'primary', value: 'keep' }, 'Keep it running');
  const confirm = h('button', { type: 'button', class: 'danger', value: 'cancel' }, 'Cancel the job');
  const dialog = h(
    'dialog',
    { class: 'confirm', 'aria-labelledby': titleId, 'aria-describedby': textId },
    h('h2', { id: titleId }, 'Cancel this job?'),
    h('p', { id: textId }, 'Job ', h('code', {}, visible(jobId)), ' stops now: its task is stopped and the job is recorded as cancelled. This cannot be undone.'),
    h('div', { class: 'dialog-actions' }, keep, confirm),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    const close = (choice: string) => dialog.close(choice);
    keep.addEventListener('click', () => close('keep'));
    confirm.addEventListener('click', () => close('cancel'));
    signal.addEventListener('abort', () => close('keep'), { once: true });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener.isConnected && !opener.hidden) opener.focus();
      resolve(dialog.returnValue === 'cancel');
    });
    dialog.showModal();
    keep.focus();
  });
}
