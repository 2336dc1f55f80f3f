/**
 * Rerun: a new job from this one's request (`POST /jobs` with `rerunOf`), in a modal dialog that
 * says what will run and asks for the job's secrets. Their values were never kept anywhere, so
 * they are typed again (password fields, sent once, never stored by the console); the server
 * refuses a rerun without them, and its refusal shows beside the secret it names.
 */
import { ApiError } from './api.ts';
import type { Job } from './api-types.ts';
import { h, uniqueId } from './dom.ts';
import { formatCommand, visible } from './format.ts';
import { describeError } from './live.ts';
import type { ViewContext } from './main.ts';
import { jobHash } from './router.ts';

interface SecretField {
  name: string;
  input: HTMLInputElement;
  error: HTMLElement;
  wrapper: HTMLElement;
}

export function openRerunDialog(context: ViewContext, job: Job, opener: HTMLElement): void {
  const titleId = uniqueId('rerun-title');
  const secrets = (job.secretEnvNames ?? []).map(secretField);
  const problem = h('p', { class: 'message message-error', role: 'alert', hidden: true });
  const run = h('button', { type: 'submit', class: 'primary' }, 'Rerun');
  const back = h('button', { type: 'button', onclick: () => dialog.close() }, 'Don’t rerun');
  const form = h(
    'form',
    { novalidate: true },
    h('h2', { id: titleId }, 'Rerun this job?'),
    h('p', {}, 'A new job runs ', h('code', {}, visible(formatCommand(job.command))), ` with profile ${visible(job.profile)}, the same timeout, size and labels, as the profile allows today.`),
    secrets.length > 0 ? h('p', {}, 'Its secrets’ values were never kept: type them again.') : null,
    ...secrets.map((field) => field.wrapper),
    problem,
    h('div', { class: 'dialog-actions' }, run, back),
  );
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': titleId }, form);
  // One key for this dialog: submitting again after a lost answer cannot start a second job.
  let idempotencyKey = crypto.randomUUID();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  context.signal.addEventListener('abort', () => dialog.close(), { once: true });
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  (secrets[0]?.input ?? run).focus();

  async function submit(): Promise<void> {
    for (const field of secrets) showFieldError(field, undefined);
    problem.hidden = true;
    const missing = secrets.filter((field) => field.input.value === '');
    for (const field of missing) showFieldError(field, 'Type its value: it was not kept.');
    if (missing.length > 0) return missing[0]?.input.focus();
    run.disabled = true;
    try {
      const env = Object.fromEntries(secrets.map((field) => [field.name, field.input.value]));
      const created = await context.api.createJob({ rerunOf: job.id, ...(secrets.length > 0 ? { env } : {}) }, idempotencyKey);
      dialog.close();
      context.announce(`Job ${created.id} submitted, a rerun of ${job.id}.`);
      location.hash = jobHash(created.id);
    } catch (error) {
      if (error instanceof ApiError) idempotencyKey = crypto.randomUUID();
      showRefusal(error);
    } finally {
      run.disabled = false;
    }
  }

  function showRefusal(error: unknown): void {
    const unplaced: string[] = [];
    for (const detail of error instanceof ApiError ? error.details : []) {
      const field = secrets.find((candidate) => detail.path === `env.${candidate.name}`);
      if (field) showFieldError(field, detail.message);
      else unplaced.push(`${detail.path}: ${detail.message}`);
    }
    if (!(error instanceof ApiError) || error.details.length === 0 || unplaced.length > 0) {
      problem.textContent = `The job was not rerun: ${unplaced.length > 0 ? unplaced.join('; ') : describeError(error)}`;
      problem.hidden = false;
    }
    (secrets.find((field) => field.input.getAttribute('aria-invalid') === 'true')?.input ?? run).focus();
  }
}

function secretField(name: string): SecretField {
  const id = uniqueId('rerun-secret');
  const input = h('input', { id, type: 'password', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${id}-error` });
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  return { name, input, error, wrapper: h('div', { class: 'field' }, h('label', { for: id }, visible(name)), error, input) };
}

function showFieldError(field: SecretField, message: string | undefined): void {
  field.error.textContent = message ?? '';
  field.error.hidden = message === undefined;
  if (message === undefined) field.input.removeAttribute('aria-invalid');
  else field.input.setAttribute('aria-invalid', 'true');
}
