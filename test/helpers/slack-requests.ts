/**
 * What Slack sends to the product, built as Slack builds it: a slash command's form body, a button
 * click's `payload=` body, and the `X-Slack-Signature` headers over them. The signature is computed
 * here from the published recipe (v0 HMAC-SHA256 of `v0:{timestamp}:{raw body}`), not with the
 * product's code, so that tests check the product's verification instead of agreeing with it.
 */
import { createHmac } from 'node:crypto';

/** One workspace, channel and user for every request unless a test names others. */
export const SLACK_DEFAULTS = {
  teamId: 'T0001ACME',
  teamDomain: 'acme',
  channelId: 'C0001OPS',
  channelName: 'ops',
  userId: 'U0001ALICE',
  userName: 'alice',
  apiAppId: 'A0001RUNNER',
  responseUrl: 'https://hooks.slack.com/commands/T0001ACME/1111111111111/abcdefABCDEF123456',
  triggerId: '1111111111111.2222222222.0123456789abcdef0123456789abcdef',
} as const;

export interface SlashCommandFields {
  text: string;
  command?: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  team_domain?: string;
  response_url?: string;
  trigger_id?: string;
}

/** The `application/x-www-form-urlencoded` body of `/run <text>`, fields in Slack's order. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams({
    // The deprecated verification token Slack still sends; the product must not rely on it.
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: fields.team_id ?? SLACK_DEFAULTS.teamId,
    team_domain: fields.team_domain ?? SLACK_DEFAULTS.teamDomain,
    channel_id: fields.channel_id ?? SLACK_DEFAULTS.channelId,
    channel_name: fields.channel_name ?? SLACK_DEFAULTS.channelName,
    user_id: fields.user_id ?? SLACK_DEFAULTS.userId,
    user_name: fields.user_name ?? SLACK_DEFAULTS.userName,
    command: fields.command ?? '/run',
    text: fields.text,
    api_app_id: SLACK_DEFAULTS.apiAppId,
    is_enterprise_install: 'false',
    response_url: fields.response_url ?? SLACK_DEFAULTS.responseUrl,
    trigger_id: fields.trigger_id ?? SLACK_DEFAULTS.triggerId,
  }).toString();
}

/** An interaction's body: the payload as JSON in one form field, as Slack posts block_actions. */
export function interactionBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface BlockActionOptions {
  actionId: string;
  value: string;
  blockId?: string;
  user?: { id: string; username?: string };
  channel?: { id: string; name?: string };
  team?: { id: string; domain?: string };
  /** The ts of the message the button is on. */
  messageTs?: string;
  /** The message the button is on, as Slack echoes it (text, blocks). */
  message?: { text?: string; blocks?: unknown[] };
  responseUrl?: string;
}

/** A button click on a message, shaped as Slack's `block_actions` payload. */
export function blockActionPayload(options: BlockActionOptions): Record<string, unknown> {
  const team = { id: options.team?.id ?? SLACK_DEFAULTS.teamId, domain: options.team?.domain ?? SLACK_DEFAULTS.teamDomain };
  const user = { id: options.user?.id ?? SLACK_DEFAULTS.userId, username: options.user?.username ?? SLACK_DEFAULTS.userName };
  const channel = { id: options.channel?.id ?? SLACK_DEFAULTS.channelId, name: options.channel?.name ?? SLACK_DEFAULTS.channelName };
  const messageTs = options.messageTs ?? '1700000000.000100';
  const blockId = options.blockId ?? 'job-actions';
  return {
    type: 'block_actions',
    user: { ...user, name: user.username, team_id: team.id },
    api_app_id: SLACK_DEFAULTS.apiAppId,
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    container: { type: 'message', message_ts: messageTs, channel_id: channel.id, is_ephemeral: false },
    trigger_id: SLACK_DEFAULTS.triggerId,
    team,
    enterprise: null,
    is_enterprise_install: false,
    channel,
    message: {
      type: 'message',
      user: 'U0001RUNNERBOT',
      bot_id: 'B0001RUNNER',
      app_id: SLACK_DEFAULTS.apiAppId,
      team: team.id,
      ts: messageTs,
      text: options.message?.text ?? '',
      blocks: options.message?.blocks ?? [],
    },
    state: { values: {} },
    response_url: options.responseUrl ?? SLACK_DEFAULTS.responseUrl.replace('/commands/', '/actions/'),
    actions: [
      {
        action_id: options.actionId,
        block_id: blockId,
        text: { type: 'plain_text', text: options.actionId, emoji: true },
        value: options.value,
        type: 'button',
        action_ts: (Date.now() / 1000).toFixed(6),
      },
    ],
  };
}

/** The headers Slack signs a request with; `timestamp` in Unix seconds, now by default. */
export function slackSignatureHeaders(
  signingSecret: string,
  rawBody: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): { 'x-slack-request-timestamp': string; 'x-slack-signature': string } {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': `v0=${digest}` };
}
