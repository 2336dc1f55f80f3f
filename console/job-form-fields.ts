/**
 * The job form's fields: each with its label, a hint from the chosen profile, and a place for its
 * error, tied to the control by aria-describedby and aria-invalid.
 */
import type { Profile } from './api-types.ts';
import { h } from './dom.ts';
import { formatDuration } from './format.ts';

export type FieldName = 'profile' | 'command' | 'env' | 'timeout' | 'labels';

export interface FieldValues {
  profile: string;
  /** The command is one string for `/bin/sh -c` (the profile allows a shell and the reader chose it). */
  shell: boolean;
  command: string;
  env: string;
  timeout: string;
  /** The browser could not read the timeout as a number. */
  timeoutInvalid: boolean;
  labels: string;
}

export interface FieldError {
  label: string;
  message: string;
  focus?: () => void;
}

export interface Fields {
  elements: HTMLElement[];
  values(): FieldValues;
  fill(values: { profile: string; command: string[]; env: string; timeout: string; labels: string }): void;
  /** An error beside `field`, or about the whole form when `field` is undefined. */
  showError(field: FieldName | undefined, message: string): void;
  errors(): FieldError[];
  clearErrors(): void;
}

interface Field {
  label: string;
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  hint: HTMLElement;
  error: HTMLElement;
  wrapper: HTMLElement;
}

const SECRET_HINT = 'Values of names like *TOKEN*, *SECRET*, *PASSWORD* or *KEY* are secrets: kept as *** by the server and never shown again.';

export function createFields(profiles: Profile[] | undefined): Fields {
  const profileControl = profiles
    ? h('select', { name: 'profile' }, ...profiles.map(({ name }) => h('option', { value: name }, name)))
    : h('input', { name: 'profile', value: 'default', autocomplete: 'off', spellcheck: 'false' });
  const textarea = (name: string, rows: number) => h('textarea', { name, rows, spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off' });
  const fields: Record<FieldName, Field> = {
    profile: field('profile', 'Profile', profileControl),
    command: field('command', 'Command', textarea('command', 4)),
    env: field('env', 'Environment (optional)', textarea('env', 3)),
    timeout: field('timeout', 'Timeout in seconds (optional)', h('input', { name: 'timeout', type: 'number', min: 1, step: 1, inputmode: 'numeric' })),
    labels: field('labels', 'Labels (optional)', textarea('labels', 2)),
  };
  const argvMode = h('input', { type: 'radio', name: 'mode', value: 'argv', id: 'job-mode-argv', checked: true });
  const shellMode = h('input', { type: 'radio', name: 'mode', value: 'shell', id: 'job-mode-shell' });
  const mode = h(
    'fieldset',
    { class: 'mode' },
    h('legend', {}, 'Command form'),
    h('div', { class: 'choice' }, argvMode, h('label', { for: 'job-mode-argv' }, 'Arguments, one per line (no shell)')),
    h('div', { class: 'choice' }, shellMode, h('label', { for: 'job-mode-shell' }, 'A shell command line (/bin/sh -c)')),
  );
  const formError = h('p', { class: 'message message-error', hidden: true });
  const errors: FieldError[] = [];
  const profileOf = () => profiles?.find((profile) => profile.name === fields.profile.control.value);

  const describeProfile = () => {
    const profile = profileOf();
    mode.hidden = profile !== undefined && !profile.shell;
    if (mode.hidden) argvMode.checked = true;
    fields.command.hint.textContent = shellMode.checked && !mode.hidden ? 'One line for the shell, e.g. echo "$HOME"; ls | wc -l' : 'One argument a line, as a program gets them: the first is the program.';
    fields.profile.hint.textContent = profile?.description ?? (profiles ? '' : 'The profile’s name, e.g. default.');
    const envNames = profile && profile.envNames !== 'any' ? ` This profile allows ${profile.envNames.length > 0 ? profile.envNames.join(', ') : 'no variables'}.` : '';
    fields.env.hint.textContent = `NAME=value, one a line. ${SECRET_HINT}${envNames}`;
    fields.timeout.hint.textContent = profile
      ? `The profile’s default is ${formatDuration(profile.timeoutSeconds.default * 1000)}; at most ${profile.timeoutSeconds.max.toLocaleString()} s.`
      : 'The profile’s default when empty.';
    if (profile) fields.timeout.control.setAttribute('max', String(profile.timeoutSeconds.max));
    fields.labels.hint.textContent = 'key=value, one a line: for finding the job in the list.';
  };
  fields.profile.control.addEventListener('change', describeProfile);
  argvMode.addEventListener('change', describeProfile);
  shellMode.addEventListener('change', describeProfile);
  describeProfile();

  return {
    elements: [formError, fields.profile.wrapper, mode, fields.command.wrapper, fields.env.wrapper, fields.timeout.wrapper, fields.labels.wrapper],
    values: () => ({
      profile: fields.profile.control.value.trim(),
      shell: !mode.hidden && shellMode.checked,
      command: fields.command.control.value,
      env: fields.env.control.value,
      timeout: fields.timeout.control.value,
      timeoutInvalid: (fields.timeout.control as HTMLInputElement).validity.badInput,
      labels: fields.labels.control.value,
    }),
    fill(values) {
      fields.profile.control.value = values.profile;
      describeProfile();
      const [program, flag, script] = values.command;
      const asShell = !mode.hidden && values.command.length === 3 && program === '/bin/sh' && flag === '-c';
      shellMode.checked = asShell;
      argvMode.checked = !asShell;
      fields.command.control.value = asShell ? (script ?? '') : values.command.join('\n');
      fields.env.control.value = values.env;
      fields.timeout.control.value = values.timeout;
      fields.labels.control.value = values.labels;
      describeProfile();
      if (!asShell && values.command.some((argument) => argument.includes('\n'))) {
        this.showError('command', 'An argument of this command spans several lines: check how it is split here before submitting.');
      }
    },
    showError(name, message) {
      if (name === undefined) {
        formError.textContent = message;
        formError.hidden = false;
        errors.push({ label: 'The job', message });
        return;
      }
      const target = fields[name];
      const paragraph = h('span', { class: 'field-error-line' }, message);
      target.error.append(paragraph);
      target.error.hidden = false;
      target.control.setAttribute('aria-invalid', 'true');
      errors.push({ label: target.label, message, focus: () => target.control.focus() });
    },
    errors: () => [...errors],
    clearErrors() {
      errors.length = 0;
      formError.hidden = true;
      for (const target of Object.values(fields)) {
        target.error.replaceChildren();
        target.error.hidden = true;
        target.control.removeAttribute('aria-invalid');
      }
    },
  };
}

function field(name: FieldName, label: string, control: Field['control']): Field {
  const id = `job-${name}`;
  control.id = id;
  const hint = h('p', { class: 'hint', id: `${id}-hint` });
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  control.setAttribute('aria-describedby', `${id}-error ${id}-hint`);
  const wrapper = h('div', { class: 'field', 'data-field': name }, h('label', { for: id }, label), error, control, hint);
  return { label: label.replace(/ \(optional\)$/, ''), control, hint, error, wrapper };
}
