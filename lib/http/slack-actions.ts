/**
 * What a Slack user may do with jobs, shared by the slash command and the buttons: the caller a
 * Slack request stands for (its profiles from SLACK_ACCESS), and submitting, cancelling and reading
 * jobs as that caller. Every verb and button that names a job gets it through `visibleJob` first:
 * a job the user may not see is answered exactly as one that does not exist, before anything
 * else (who submitted it, whether the user may cancel it) is looked at.
 */
import type { Caller } from '#lib/domain/caller.ts';
import { EVERY_PROFILE } from '#lib/domain/caller.ts';
import { JobNotFoundError } from '#lib/domain/errors.ts';
import { isClientError } from './error-status.ts';
import { cancelJob, getJob, submitJob, type CancelJobPorts, type SubmitJobPorts } from '#lib/domain/job-service.ts';
import { isTerminal, LOG_TAIL_LINES, type Job } from '#lib/domain/job.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { allowedProfiles, canSee, isAdminOf, mayRunProfile, refusalMessage, type SlackRequester } from '#lib/slack/access.ts';
import { slackCallerName, type SlackApp } from '#lib/slack/app.ts';
import { escapeSlackText, logsMessage, type SlackMessage } from '#lib/slack/messages.ts';
import { jobConsoleUrl } from './job-document.ts';
import { textMessage } from './slack-request.ts';

/** `schedules`: where `/run schedules` reads them; without it, it says they are not available. */
export type SlackPorts = SubmitJobPorts & CancelJobPorts & Pick<Dependencies, 'logReader' | 'logger' | 'schedules'> & { slack: SlackApp };

/** The caller a Slack user is: every profile SLACK_ACCESS gives them where they asked from. */
export function slackCaller(app: SlackApp, who: SlackRequester): Caller {
  const { profiles } = allowedProfiles(app.access, who);
  return { name: slackCallerName(who.user), profiles: profiles === EVERY_PROFILE ? [EVERY_PROFILE] : [...profiles] };
}

/** Submits a job as the Slack user; a refusal is the message to show them. Slack's retries of a request are replays (the idempotency key). */
export async function submitFromSlack(
  ports: SlackPorts,
  who: SlackRequester,
  request: { profile: string; command: string[]; idempotencyKey: string },
): Promise<{ job: Job; created: boolean } | { refusal: SlackMessage }> {
  if (!mayRunProfile(ports.slack.access, who, request.profile)) return { refusal: textMessage(refusalMessage(request.profile, who, ports.slack.access)) };
  return asRefusal(() =>
    submitJob(
      ports,
      {
        profile: request.profile,
        command: request.command,
        env: {},
        labels: { 'slack-team': who.team, 'slack-channel': who.channel, 'slack-user': who.user },
        idempotencyKey: request.idempotencyKey,
        slack: { team: who.team, channel: who.channel, user: who.user },
      },
      slackCaller(ports.slack, who),
    ),
  );
}

/** An idempotency key from what identifies one Slack request (its trigger): Slack's retries of it share it. */
export function slackIdempotencyKey(kind: string, trigger: string): string {
  return `slack-${kind}-${trigger}`.slice(0, 255).replace(/[^\x21-\x7e]/g, '_');
}

/**
 * Cancels a job the user may see, for its submitter or an admin of its profile; anyone else who
 * sees it is told who may.
 */
export async function cancelFromSlack(ports: SlackPorts, who: SlackRequester, jobId: string): Promise<SlackMessage> {
  const job = await visibleJob(ports, who, jobId);
  if ('refusal' in job) return job.refusal;
  const caller = slackCaller(ports.slack, who);
  if (job.submittedBy !== caller.name && !isAdminOf(ports.slack.access, who, job.profile)) {
    const owner = job.slack ? `<@${escapeSlackText(job.slack.user)}>` : escapeSlackText(job.submittedBy);
    return textMessage(`Only ${owner}, who submitted job ${job.id}, or a fargate-jobs admin of profile '${escapeSlackText(job.profile)}' may cancel it.`);
  }
  if (isTerminal(job.status)) return textMessage(`Job ${job.id} has already finished: ${job.status}.`);
  const cancelled = await asRefusal(() => cancelJob(ports, jobId, { ...caller, profiles: [EVERY_PROFILE] }));
  return 'refusal' in cancelled ? cancelled.refusal : textMessage(`🚫 Cancelling job ${cancelled.id}; its thread will say when it has stopped.`);
}

/** The job if the Slack user may see it (`canSee`); else the very answer a job that does not exist gets. */
export async function visibleJob(ports: SlackPorts, who: SlackRequester, jobId: string): Promise<Job | { refusal: SlackMessage }> {
  // Read unscoped: `canSee` decides, with the rules of where the user asked from.
  const job = await asRefusal(() => getJob(ports, jobId, { name: slackCallerName(who.user), profiles: [EVERY_PROFILE] }));
  if ('refusal' in job) return job;
  return canSee(ports.slack.access, who, job) ? job : { refusal: refusalOf(new JobNotFoundError(jobId)) };
}

/** The last log lines of a job, as the Logs button and `/run logs` show them. */
export async function logsOf(ports: SlackPorts, job: Job): Promise<SlackMessage> {
  const lines = isTerminal(job.status) && job.stoppedAt !== undefined ? job.logTail : await ports.logReader.tail(job, LOG_TAIL_LINES, { waitForFlush: false }).catch(() => job.logTail);
  const consoleUrl = jobConsoleUrl(ports.slack.apiUrl?.(), job);
  return logsMessage(job, lines, consoleUrl ? { consoleUrl } : {});
}

/** The result of a use case, or the message of the user's error (any other error is thrown on). */
async function asRefusal<T>(work: () => Promise<T>): Promise<T | { refusal: SlackMessage }> {
  try {
    return await work();
  } catch (error) {
    if (!isClientError(error)) throw error;
    return { refusal: refusalOf(error) };
  }
}

function refusalOf(error: Error): SlackMessage {
  return textMessage(`⚠️ ${escapeSlackText(error.message)}`);
}
