/** What the Slack routes need besides the job ports: the app's secrets and rules, and ways to answer. */
import type { SlackWebApi } from '#lib/notify/slack-web-api.ts';
import type { SlackAccessRule } from './access.ts';
import type { SlackMessage } from './messages.ts';

export interface SlackApp {
  /** SLACK_SIGNING_SECRET; undefined while it is not set, and every request is then refused. */
  signingSecret: () => Promise<string | undefined>;
  /** SLACK_ACCESS, checked at start-up. */
  access: readonly SlackAccessRule[];
  /** chat.postMessage with the bot token (a button's answer in the job's thread). */
  api: SlackWebApi;
  /**
   * An ephemeral answer through a button's response_url (Slack allows each 5 uses in 30 minutes; a
   * press answers once): refusals, and the Logs of a job pressed outside the job's own channel.
   */
  respond: (responseUrl: string, message: SlackMessage) => Promise<void>;
  /** The API's base URL, for links to a job's page in the console (its full log). */
  apiUrl?: () => string | undefined;
}

/** Who submits a Slack job: the `submittedBy` of its record, and the name a cancel is recorded under. */
export function slackCallerName(user: string): string {
  return `slack:${user}`;
}

/** POSTs an ephemeral message to a response_url (Slack's own URL of a verified request). */
export async function postToResponseUrl(responseUrl: string, message: SlackMessage): Promise<void> {
  const response = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, ...message }),
    signal: AbortSignal.timeout(5000),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`response_url answered ${response.status}`);
}
