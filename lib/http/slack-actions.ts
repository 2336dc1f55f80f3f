/**
 * What a Slack user may do with jobs, shared by the slash command and the buttons: the caller a
 * Slack request stands for (its profiles from SLACK_ACCESS), and submitting, cancelling and reading
 * jobs as that caller.
 */
import type { Caller } from '#lib/domain/caller.ts';
import { EVERY_PROFILE } from '#lib/domain/caller.ts';
import { isClientError } from './error-status.ts';
import { cancelJob, getJob, submitJob, type CancelJobPorts, type SubmitJobPorts } from '#lib/domain/job-service.ts';
import { isTerminal, LOG_TAIL_LINES, type Job } from '#lib/domain/job.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { allowedProfiles, mayRunProfile, refusalMessage, type SlackRequester } from '#lib/slack/access.ts';
import { slackCallerName, type SlackApp } from '#lib/slack/app.ts';
import { escapeSlackText, logsMessage, type SlackMessage } from '#lib/slack/messages.ts';
import { jobLogsUrl } from './job-document.ts';
import { textMessage } from './slack-request.ts';

export type SlackPorts = SubmitJobPorts & CancelJobPorts & Pick<Dependencies, 'logReader' | 'logger'> & { slack: SlackApp };

/** The caller a Slack user is: every profile SLACK_ACCESS gives them where they asked from. */
export function slackCaller(app: SlackApp, who: SlackRequester): Caller & { admin: boolean } {
  const { profiles, admin } = allowedProfiles(app.access, who);
  return { name: slackCallerName(who.user), profiles: profiles === EVERY_PROFILE ? [EVERY_PROFILE] : [...profiles], admin };
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

/** Cancels a job for its submitter or an admin; anyone else is told who may. */
export async function cancelFromSlack(ports: SlackPorts, who: SlackRequester, jobId: string): Promise<SlackMessage> {
  const caller = slackCaller(ports.slack, who);
  const found = await asRefusal(() => getJob(ports, jobId, { ...caller, profiles: [EVERY_PROFILE] }));
  if ('refusal' in found) return found.refusal;
  if (found.submittedBy !== caller.name && !caller.admin) {
    const owner = found.slack ? `<@${found.slack.user}>` : escapeSlackText(found.submittedBy);
    return textMessage(`Only ${owner}, who submitted job ${found.id}, or a fargate-jobs admin may cancel it.`);
  }
  if (isTerminal(found.status)) return textMessage(`Job ${found.id} has already finished: ${found.status}.`);
  const cancelled = await asRefusal(() => cancelJob(ports, jobId, { ...caller, profiles: [EVERY_PROFILE] }));
  return 'refusal' in cancelled ? cancelled.refusal : textMessage(`🚫 Cancelling job ${cancelled.id}; its thread will say when it has stopped.`);
}

/** A job the Slack user may see (one of the profiles they may run, or their own). */
export async function jobForSlack(ports: SlackPorts, who: SlackRequester, jobId: string): Promise<Job | { refusal: SlackMessage }> {
  const caller = slackCaller(ports.slack, who);
  const job = await asRefusal(() => getJob(ports, jobId, { ...caller, profiles: [EVERY_PROFILE] }));
  if ('refusal' in job) return job;
  const visible = caller.admin || job.submittedBy === caller.name || mayRunProfile(ports.slack.access, who, job.profile);
  return visible ? job : { refusal: textMessage(`job '${escapeSlackText(jobId)}' does not exist`) };
}

/** The last log lines of a job, as the Logs button and `/run logs` show them. */
export async function logsOf(ports: SlackPorts, job: Job): Promise<SlackMessage> {
  const lines = isTerminal(job.status) && job.stoppedAt !== undefined ? job.logTail : await ports.logReader.tail(job, LOG_TAIL_LINES, { waitForFlush: false }).catch(() => job.logTail);
  const logsUrl = jobLogsUrl(ports.slack.apiUrl?.(), job);
  return logsMessage(job, lines, logsUrl ? { logsUrl } : {});
}

/** The result of a use case, or the message of the user's error (any other error is thrown on). */
async function asRefusal<T>(work: () => Promise<T>): Promise<T | { refusal: SlackMessage }> {
  try {
    return await work();
  } catch (error) {
    if (!isClientError(error)) throw error;
    return { refusal: textMessage(`⚠️ ${escapeSlackText(error.message)}`) };
  }
}
