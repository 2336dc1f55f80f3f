/**
 * `fargate-jobs run -i [flags] [-- cmd args…]`: a job held alive (the profile's interactiveHold, e.g.
 * `sleep 86400`) with cmd (or the profile's shell) exec'ed into it with this terminal, and the job
 * cancelled when the session ends, whatever ends it. The exit code is the session's (design §10:
 * `run -- cmd` stays RunTask + logs; `run -i` is a held job plus an exec).
 *
 * Until the session is attached, Ctrl-C (or SIGTERM, or the parent going away) cancels the job and
 * exits 130, as `run` does; once attached, Ctrl-C belongs to the session.
 */
import { randomUUID } from 'node:crypto';
import type { JobDocument } from '#lib/http/job-document.ts';
import { ApiError } from '../api-client.ts';
import { UsageError } from '../args.ts';
import { EXIT } from '../exit-codes.ts';
import { attachExecSession, openExecSession, type ExecSession } from '../exec-session.ts';
import { Interrupts, onInterrupt, type InterruptDecision } from '../interrupt.ts';
import { sanitizeMetadata } from '../sanitize.ts';
import { SessionManagerPlugin } from '../session-manager-plugin.ts';
import { StatusLine } from '../terminal.ts';
import type { VerbContext } from './context.ts';
import { execWaitSeconds } from './exec.ts';

/** The POST /jobs body of a held job: run's flags, with `hold` in place of the command (which the exec runs). */
export function heldJobRequest(request: Record<string, unknown>): Record<string, unknown> {
  const { command: _execCommand, ...held } = request;
  return { ...held, hold: true };
}

export async function runInteractive(context: VerbContext, request: Record<string, unknown>): Promise<number> {
  if (context.command.values.detach === true) {
    throw new UsageError('-i cannot go with --detach: run -i cancels its job when the session ends (to keep one, run --detach -- sleep 3600, then exec <id>)', 'run');
  }
  const waitSeconds = execWaitSeconds(context, 'run');
  const plugin = new SessionManagerPlugin(context.env);
  const opened = await submitAndOpen(context, heldJobRequest(request), { waitSeconds, plugin });
  if (opened === undefined) return EXIT.INTERRUPTED;
  try {
    return await attachExecSession(context, opened.session, plugin);
  } finally {
    await whileCancelling(context, opened.job, () => cancelHeldJob(context, opened.job.id, new StatusLine(context.out)));
  }
}

/**
 * Submits the held job and opens the session once it can take one; undefined after Ctrl-C. The job
 * is cancelled unless a session was opened: after Ctrl-C, an error, or giving up at --wait.
 */
async function submitAndOpen(
  context: VerbContext,
  body: Record<string, unknown>,
  options: { waitSeconds: number; plugin: SessionManagerPlugin },
): Promise<{ job: JobDocument; session: ExecSession } | undefined> {
  const command = context.command.rest.length > 0 ? context.command.rest : undefined;
  const status = new StatusLine(context.out);
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<undefined>((resolve) => (interrupt = () => resolve(undefined)));
  const interrupts = new Interrupts();
  let job: JobDocument | undefined;
  let session: ExecSession | undefined;
  const stopListening = onInterrupt((decision) => (decision === 'cancel' ? interrupt() : leaveHeld(context, job, status)), interrupts);
  try {
    // Not raced with Ctrl-C: a job being created is cancelled once it exists.
    job = await submitHeldJob(context, body);
    if (!interrupts.pressed) session = await Promise.race([openExecSession(context, job, { command, status, ...options }), interrupted]);
    return session === undefined ? undefined : { job, session };
  } finally {
    status.stop();
    if (job !== undefined && session === undefined) {
      if (interrupts.pressed) status.say(`cancelling ${job.id} (Ctrl-C again to leave it)…`);
      await cancelHeldJob(context, job.id, status);
    }
    stopListening();
  }
}

async function submitHeldJob(context: VerbContext, body: Record<string, unknown>): Promise<JobDocument> {
  const idempotencyKey = typeof body.idempotencyKey === 'string' ? body.idempotencyKey : `cli-${randomUUID()}`;
  const { body: job } = await context.client().request<JobDocument>('POST', '/jobs', { body, headers: { 'idempotency-key': idempotencyKey }, retry: true });
  return job;
}

/** Cancels the held job; a cancel that fails is a warning (the job's timeout ends it at the latest). */
async function cancelHeldJob(context: VerbContext, jobId: string, status: StatusLine): Promise<void> {
  try {
    await context.client().request('POST', `/jobs/${encodeURIComponent(jobId)}/cancel`, { retry: true });
  } catch (error) {
    // It ended on its own (its timeout, someone else's cancel): nothing left to do.
    if (error instanceof ApiError && error.code === 'JOB_ALREADY_FINISHED') return;
    status.say(`warning: could not cancel ${jobId}, which goes on until its timeout: ${(error as Error).message}; cancel it with fargate-jobs cancel ${jobId}`);
  }
}

/** While the last cancel is under way, a first Ctrl-C (or npm's repeat of the session's last one) waits for it; another leaves at once. */
async function whileCancelling(context: VerbContext, job: JobDocument, cancel: () => Promise<void>): Promise<void> {
  const stopListening = onInterrupt((decision: InterruptDecision) => {
    if (decision === 'detach') leaveHeld(context, job, new StatusLine(context.out));
  });
  try {
    await cancel();
  } finally {
    stopListening();
  }
}

/** A second Ctrl-C: exit now, saying how to cancel the job that may still be held. */
function leaveHeld(context: VerbContext, job: JobDocument | undefined, status: StatusLine): never {
  status.stop();
  const id = job === undefined ? undefined : sanitizeMetadata(job.id);
  context.out.stderr.write(
    id === undefined ? '\nfargate-jobs: left before the job was submitted; fargate-jobs list shows whether it was\n' : `\nfargate-jobs: left ${id}, which may still be held: fargate-jobs cancel ${id}\n`,
  );
  process.exit(EXIT.INTERRUPTED);
}
