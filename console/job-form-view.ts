/**
 * The New job form, also "Edit as a new job" (`#/new?from=<id>`, filled in from that job's request).
 * What the API refuses is shown beside the field it is about (`details[].path`, or the error code's
 * field) and listed above the form.
 */
import { ApiError } from './api.ts';
import type { CreateJobRequest, Job, Profile } from './api-types.ts';
import { fill, h } from './dom.ts';
import { formatAssignments, parseArgvLines, parseAssignments, visible } from './format.ts';
import { describeError } from './live.ts';
import type { ViewContext } from './main.ts';
import { jobHash } from './router.ts';
import { createFields, type FieldName, type Fields } from './job-form-fields.ts';

const REDACTED = '***';
/** Refusals that name no field in `details` but are plainly about one. */
const FIELD_OF_CODE: Record<string, FieldName> = {
  UNKNOWN_PROFILE: 'profile',
  PROFILE_FORBIDDEN: 'profile',
  COMMAND_NOT_ALLOWED: 'command',
  ENV_NOT_ALLOWED: 'env',
  TIMEOUT_TOO_LONG: 'timeout',
  OVERRIDES_TOO_LARGE: 'command',
};
const FIELD_OF_PATH: Record<string, FieldName> = { profile: 'profile', command: 'command', env: 'env', timeoutSeconds: 'timeout', labels: 'labels' };

export function renderJobForm(context: ViewContext, fromId: string | undefined): void {
  const { api, root, signal } = context;
  const heading = h('h1', { tabindex: '-1' }, fromId ? 'New job from another' : 'New job');
  const body = h('div', {}, h('p', {}, 'Loading…'));
  root.append(heading, body);
  void Promise.all([context.profiles(), fromId ? api.getJob(fromId, { signal }) : undefined]).then(
    ([profiles, source]) => {
      if (!signal.aborted) fill(body, ...jobForm(context, profiles, source));
    },
    (error: unknown) => {
      if (!signal.aborted) fill(body, h('p', { class: 'message message-error', role: 'alert' }, `Could not load the job to start from: ${describeError(error)}`));
    },
  );
}

function jobForm(context: ViewContext, profiles: Profile[] | undefined, source: Job | undefined): Node[] {
  const fields = createFields(profiles);
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Submit job');
  const form = h('form', { class: 'job-form', novalidate: true }, ...fields.elements, h('div', { class: 'field-actions' }, submit, h('a', { href: '#/', class: 'button' }, 'Back to jobs')));
  const intro = source ? editIntro(fields, source) : [];
  // One key per submission attempt: a retry after a lost answer cannot make a second job.
  let idempotencyKey = crypto.randomUUID();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submitForm();
  });
  return [...intro, summary, form];

  async function submitForm(): Promise<void> {
    fields.clearErrors();
    const request = requestOf(fields);
    if (!request) return showSummary('The job was not submitted');
    submit.disabled = true;
    submit.textContent = 'Submitting…';
    try {
      const job = await context.api.createJob(request, idempotencyKey);
      context.announce(`Job ${job.id} submitted.`);
      location.hash = jobHash(job.id);
    } catch (error) {
      if (error instanceof ApiError) {
        idempotencyKey = crypto.randomUUID();
        showApiError(fields, error);
        showSummary('The job was not submitted');
      } else {
        // No answer: the job may exist. The same key makes submitting again safe.
        fields.showError(undefined, `${describeError(error)}. Submitting again is safe: it cannot make a second job.`);
        showSummary('The job may not have been submitted');
      }
    } finally {
      submit.disabled = false;
      submit.textContent = 'Submit job';
    }
  }

  function showSummary(title: string): void {
    const items = fields.errors().map(({ label, message, focus }) => h('li', {}, focus ? h('button', { type: 'button', class: 'link-button', onclick: focus }, `${label}: ${message}`) : message));
    fill(summary, h('h2', {}, title), h('ul', {}, ...items));
    summary.hidden = false;
    summary.focus();
  }
}

/**
 * "Edit as a new job": the form starts from the job's request. The server gives back neither its
 * environment nor (ever) its secrets' values, so those are typed again; Rerun on the job's page
 * (`rerunOf`) is the way to run it exactly as it was.
 */
function editIntro(fields: Fields, source: Job): Node[] {
  fields.fill({ profile: source.profile, command: source.command, env: '', timeout: String(source.timeoutSeconds), labels: formatAssignments(source.labels) });
  const secrets = source.secretEnvNames ?? [];
  return [
    h('p', {}, 'A new job from the request of ', h('a', { href: jobHash(source.id) }, h('code', {}, visible(source.id))), ': change what you need, then submit.'),
    h(
      'p',
      { class: 'note' },
      'The server does not give back a job’s environment: add the variables this one needs.',
      secrets.length > 0 ? ` It had secrets (${secrets.map(visible).join(', ')}), whose values are never kept.` : '',
      ' To run it again exactly as it was, use Rerun on its page.',
    ),
  ];
}

/** The request the fields describe, or undefined (with the fields' errors set) when it cannot be one. */
function requestOf(fields: Fields): CreateJobRequest | undefined {
  const values = fields.values();
  const command = values.shell ? values.command : parseArgvLines(values.command);
  if (command.length === 0 || (typeof command === 'string' && command.trim() === '')) fields.showError('command', 'Enter the command to run.');
  const env = parseAssignments(values.env);
  for (const message of env.errors) fields.showError('env', message);
  const secrets = Object.entries(env.values).filter(([, value]) => value === REDACTED).map(([name]) => name);
  if (secrets.length > 0) fields.showError('env', `Type the value of ${secrets.join(', ')}: the server keeps secrets as *** and never sends them back.`);
  const labels = parseAssignments(values.labels);
  for (const message of labels.errors) fields.showError('labels', message);
  const timeout = values.timeout.trim();
  if (values.timeoutInvalid || (timeout !== '' && !/^[0-9]+$/.test(timeout))) fields.showError('timeout', 'Enter a whole number of seconds.');
  if (fields.errors().length > 0) return undefined;
  return {
    profile: values.profile,
    command,
    ...(Object.keys(env.values).length > 0 ? { env: env.values } : {}),
    ...(timeout !== '' ? { timeoutSeconds: Number(timeout) } : {}),
    ...(Object.keys(labels.values).length > 0 ? { labels: labels.values } : {}),
  };
}

function showApiError(fields: Fields, error: ApiError): void {
  if (error.details.length === 0) {
    fields.showError(FIELD_OF_CODE[error.code], error.message);
    return;
  }
  for (const detail of error.details) {
    const [head = '', ...rest] = detail.path.split('.');
    const field = FIELD_OF_PATH[head];
    fields.showError(field, field && rest.length > 0 ? `${rest.join('.')}: ${detail.message}` : field ? detail.message : `${detail.path}: ${detail.message}`);
  }
}
