/**
 * The Slack side of a job submitted with `/run`: its message in the channel (posted when the
 * workflow takes the job up, so the slash command is answered within Slack's 3 s), then "running"
 * and the result in that message's thread, and the message itself updated to the final status.
 *
 * Posting goes through chat.postMessage and chat.update with the bot token (a slash command's
 * response_url allows only 5 answers in 30 minutes). A failed call is an attempt that did not
 * deliver, recorded on the job: Slack's rate limits are waited out by the client, and a Slack that
 * refuses is not retried by the workflow.
 */
import type { Job, JobEvent, JobPatch, NotificationAttempt, SlackThread } from '#lib/domain/job.ts';
import { newAttempt, wasDelivered } from '#lib/domain/notifications.ts';
import type { Notifier, NotificationOutcome } from '#lib/domain/ports.ts';
import { finalHeaderMessage, queuedMessage, resultMessage, runningMessage } from '#lib/slack/messages.ts';
import type { SlackWebApi } from './slack-web-api.ts';

export interface SlackNotifierOptions {
  /** Undefined where no bot token is set: a job from Slack then records why nothing was posted. */
  api: SlackWebApi | undefined;
  /** The job's page in the console (its full log), linked from its result; none where the API's URL is not known. */
  consoleUrl?: (job: Job) => string | undefined;
  now?: () => Date;
}

const NOTHING: NotificationOutcome = { attempts: [], retry: false };

export function slackNotifier(options: SlackNotifierOptions): Notifier {
  const now = options.now ?? (() => new Date());
  return {
    async notify(job, event) {
      const thread = job.slack;
      if (!thread || wasDelivered(job, 'slack', event)) return NOTHING;
      // Running is news only in a thread that exists.
      if (event === 'job.running' && !thread.messageTs) return NOTHING;
      const recorded = newAttempt(job, 'slack', event, now());
      if (!options.api) return failed(recorded, 'SLACK_BOT_TOKEN is not set: nothing can be posted to Slack');
      try {
        const patch = await post(options, options.api, job, thread, event);
        return { attempts: [{ ...recorded, delivered: true }], ...(patch ? { patch } : {}), retry: false };
      } catch (error) {
        return failed(recorded, error instanceof Error ? error.message : String(error));
      }
    },
  };
}

function failed(recorded: Omit<NotificationAttempt, 'delivered'>, error: string): NotificationOutcome {
  return { attempts: [{ ...recorded, delivered: false, error }], retry: false };
}

/** Posts what `event` calls for; the job's new Slack thread when it posted the job's message. */
async function post(options: SlackNotifierOptions, api: SlackWebApi, job: Job, thread: SlackThread, event: JobEvent): Promise<JobPatch | undefined> {
  const { channel, messageTs } = thread;
  if (event === 'job.queued') {
    const { ts } = await api.postMessage({ channel, ...queuedMessage(job, thread.user) });
    return { slack: { ...thread, messageTs: ts } };
  }
  if (event === 'job.running') {
    await api.postMessage({ channel, thread_ts: messageTs, ...runningMessage(job) });
    return undefined;
  }
  const consoleUrl = options.consoleUrl?.(job);
  // A job cancelled before its message was posted has no thread: its result stands on its own.
  await api.postMessage({ channel, ...(messageTs ? { thread_ts: messageTs } : {}), ...resultMessage(job, consoleUrl ? { consoleUrl } : {}) });
  if (messageTs) await api.update({ channel, ts: messageTs, ...finalHeaderMessage(job, thread.user) });
  return undefined;
}
