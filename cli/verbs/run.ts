/** `fargate-jobs run [flags] -- cmd args…`: submit, follow, exit with the job's exit code. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JobDocument } from '#lib/http/job-document.ts';
import { parseDuration, parseKeyValues, parsePositiveInteger, UsageError, type VerbSpec } from '../args.ts';
import { attach } from '../attach.ts';
import { DEFAULT_EXEC_WAIT_SECONDS } from '../exec-session.ts';
import { EXIT } from '../exit-codes.ts';
import { onInterrupt } from '../interrupt.ts';
import { noticeIgnoredStdin } from '../stdin-notice.ts';
import { rawHelp, sanitizeMetadata } from '../sanitize.ts';
import { StatusLine } from '../terminal.ts';
import { listValue, printJson, stringValue, type VerbContext } from './context.ts';
import { EXEC_HELP } from './exec.ts';
import { runInteractive } from './run-interactive.ts';

export const runSpec: VerbSpec = {
  usage: 'run [-i [--wait 2m]] [--profile p] [--env K=V]… [--cpu n] [--memory n] [--timeout 10m|90s|3600] [--label k=v]… [--public-ip] [--ssh-key FILE] [--idempotency-key k] [--detach] [--raw] -- cmd args…',
  help: `Runs cmd as a job and follows it: its stdout and stderr on ours, progress on stderr, its exit code as ours.
Its stdin is not forwarded to the job: run -i is the way to give a command input.
  -i, --interactive      start a job held alive for exec (the profile's interactiveHold), exec cmd into it (by
                         default the profile's shell) with this terminal as exec does, and cancel the job when the
                         session ends; the exit code is the session's. Until attached, Ctrl-C cancels the job.
  --wait d               with -i: how long to wait for the job to take the exec (default ${DEFAULT_EXEC_WAIT_SECONDS}s; then exit 124)
  --profile p            the profile to run under (default: the token's only one, else default)
  --env K=V              an environment variable of the job (repeat for more)
  --cpu n, --memory n    CPU units and MiB (a size Fargate offers)
  --timeout d            how long it may run once started: 90s, 10m, 1h30m or seconds
  --label k=v            a label, for listing and cost (repeat for more)
  --public-ip            give the task a public IP (where the profile allows)
  --ssh-key FILE         an OpenSSH public key that may log in (interactive profiles, e.g. ssh)
  --idempotency-key k    submit at most once: the same key returns the same job (default: a fresh key per run,
                         which lets the submission be retried on 429, 500, 503 and network errors)
  --detach               print the job id and exit 0 without following
${rawHelp(25)}
Ctrl-C cancels the job and waits for it to stop; a second Ctrl-C detaches.
With -i: ${EXEC_HELP}`,
  options: {
    profile: { type: 'string' },
    env: { type: 'string', multiple: true },
    cpu: { type: 'string' },
    memory: { type: 'string' },
    timeout: { type: 'string' },
    label: { type: 'string', multiple: true },
    'public-ip': { type: 'boolean' },
    'ssh-key': { type: 'string' },
    'idempotency-key': { type: 'string' },
    detach: { type: 'boolean' },
    raw: { type: 'boolean' },
    interactive: { type: 'boolean', short: 'i' },
    wait: { type: 'string' },
  },
  positionals: [],
  command: { unlessFlag: 'interactive' },
};

/** The POST /jobs body the flags describe. */
export function jobRequestOf(context: VerbContext, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): Record<string, unknown> {
  const flag = (name: string) => stringValue(context, name);
  const body: Record<string, unknown> = { command: context.command.rest };
  const profile = flag('profile');
  if (profile !== undefined) body.profile = profile;
  const env = parseKeyValues(listValue(context, 'env'), '--env', 'run');
  if (Object.keys(env).length > 0) body.env = env;
  const labels = parseKeyValues(listValue(context, 'label'), '--label', 'run');
  if (Object.keys(labels).length > 0) body.labels = labels;
  for (const name of ['cpu', 'memory'] as const) {
    const value = flag(name);
    if (value !== undefined) body[name] = parsePositiveInteger(value, `--${name}`, 'run');
  }
  const timeout = flag('timeout');
  if (timeout !== undefined) body.timeoutSeconds = parseDuration(timeout, '--timeout', 'run');
  if (context.command.values['public-ip'] === true) body.publicIp = true;
  const sshKey = flag('ssh-key');
  if (sshKey !== undefined) body.sshPublicKey = readPublicKey(sshKey, readFile);
  const idempotencyKey = flag('idempotency-key');
  if (idempotencyKey !== undefined) body.idempotencyKey = idempotencyKey;
  return body;
}

function readPublicKey(path: string, readFile: (path: string) => string): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new UsageError(`--ssh-key: could not read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'run');
  }
  const line = text.split('\n').map((candidate) => candidate.trim()).find((candidate) => candidate !== '' && !candidate.startsWith('#'));
  if (line === undefined) throw new UsageError(`--ssh-key: ${path} holds no public key`, 'run');
  if (/PRIVATE KEY/.test(text)) throw new UsageError(`--ssh-key: ${path} is a private key; give the public one (${path}.pub)`, 'run');
  return line;
}

export async function run(context: VerbContext): Promise<number> {
  const body = jobRequestOf(context);
  if (context.command.values.interactive === true) return runInteractive(context, body);
  if (stringValue(context, 'wait') !== undefined) throw new UsageError('--wait goes with -i: how long run -i waits for its job to take the exec', 'run');
  const client = context.client();
  const status = new StatusLine(context.out);
  noticeIgnoredStdin((message) => status.say(message));
  // Ctrl-C while the job is being submitted: cancel it as soon as it exists.
  let interruptedEarly = false;
  const stopListening = onInterrupt(() => {
    interruptedEarly = true;
  });
  let job: JobDocument;
  try {
    // Keyed, a submission is safe to repeat: a retry after a lost answer or a bare 500 returns the job the first one made.
    const idempotencyKey = typeof body.idempotencyKey === 'string' ? body.idempotencyKey : `cli-${randomUUID()}`;
    ({ body: job } = await client.request<JobDocument>('POST', '/jobs', { body, headers: { 'idempotency-key': idempotencyKey }, retry: true }));
  } finally {
    stopListening();
  }
  if (context.command.values.detach === true) {
    if (context.command.globals.json) printJson(context, job);
    else context.out.stdout.write(`${sanitizeMetadata(job.id)}\n`);
    return EXIT.OK;
  }
  return attach(context, job, { status, interrupted: interruptedEarly });
}
