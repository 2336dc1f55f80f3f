/**
 * POST /slack/interactions: the buttons of a job's messages (Cancel, Logs, Rerun). Outside the token
 * authorizer; Slack's signature is checked instead. Slack wants a 200 within 3 s and shows nothing
 * of its body: a refusal goes to the presser alone through the response_url, a rerun's progress
 * into a thread of its own (posted by its workflow). The logs go into the job's own thread when the
 * button is pressed in the job's own channel, and to the presser alone anywhere else: a job's output
 * is never posted into a channel it was not submitted in.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { clockOf } from '#lib/domain/ports.ts';
import type { Job } from '#lib/domain/job.ts';
import type { SlackRequester } from '#lib/slack/access.ts';
import { SLACK_ACTIONS, type SlackMessage } from '#lib/slack/messages.ts';
import { json, type HttpResponse } from './responses.ts';
import { cancelFromSlack, visibleJob, logsOf, slackIdempotencyKey, submitFromSlack, type SlackPorts } from './slack-actions.ts';
import { textMessage, verifiedSlackForm } from './slack-request.ts';

/** The parts of a block_actions payload read here. */
interface BlockActions {
  type?: string;
  user?: { id?: string; team_id?: string };
  team?: { id?: string };
  channel?: { id?: string };
  container?: { channel_id?: string; message_ts?: string; thread_ts?: string };
  response_url?: string;
  trigger_id?: string;
  actions?: Array<{ action_id?: string; value?: string; action_ts?: string }>;
}

export function slackInteractionsHandler(ports: SlackPorts) {
  return async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => {
    const checked = await verifiedSlackForm(event, ports.slack, ports.logger, clockOf(ports)());
    if ('refusal' in checked) return checked.refusal;
    const payload = parsePayload(checked.form.get('payload'));
    const action = payload?.actions?.[0];
    if (!payload || payload.type !== 'block_actions' || !action?.action_id || !action.value) return json(200, {});
    const who: SlackRequester = {
      team: payload.team?.id ?? payload.user?.team_id ?? '',
      channel: payload.channel?.id ?? payload.container?.channel_id ?? '',
      user: payload.user?.id ?? '',
    };
    try {
      await press(ports, who, payload, { actionId: action.action_id, jobId: action.value, actionTs: action.action_ts ?? '' });
    } catch (error) {
      ports.logger.error('a Slack button failed', { error: String(error), user: who.user, action: action.action_id });
      await tell(ports, payload, textMessage('⚠️ fargate-jobs hit an internal error; try again.'));
    }
    return json(200, {});
  };
}

async function press(ports: SlackPorts, who: SlackRequester, payload: BlockActions, action: { actionId: string; jobId: string; actionTs: string }): Promise<void> {
  if (action.actionId === SLACK_ACTIONS.cancel) {
    await tell(ports, payload, await cancelFromSlack(ports, who, action.jobId));
    return;
  }
  const job = await visibleJob(ports, who, action.jobId);
  if ('refusal' in job) return tell(ports, payload, job.refusal);
  if (action.actionId === SLACK_ACTIONS.logs) {
    const logs = await logsOf(ports, job);
    const thread = ownThread(job, who);
    if (thread) await ports.slack.api.postMessage({ ...thread, ...logs });
    else await tell(ports, payload, logs);
    return;
  }
  if (action.actionId === SLACK_ACTIONS.rerun) {
    // One press is one job, however often Slack delivers it.
    const key = slackIdempotencyKey('rerun', payload.trigger_id || `${job.id}.${who.user}.${action.actionTs}`);
    const submitted = await submitFromSlack(ports, who, { profile: job.profile, command: job.command, idempotencyKey: key });
    if ('refusal' in submitted) await tell(ports, payload, submitted.refusal);
  }
}

/** The job's own thread, when the button was pressed in the channel the job was submitted in and its message is posted. */
function ownThread(job: Job, who: SlackRequester): { channel: string; thread_ts: string } | undefined {
  const thread = job.slack;
  if (!thread?.messageTs || thread.team !== who.team || thread.channel !== who.channel) return undefined;
  return { channel: thread.channel, thread_ts: thread.messageTs };
}

/** An answer for the presser alone; one that cannot be delivered is logged. */
async function tell(ports: SlackPorts, payload: BlockActions, message: SlackMessage): Promise<void> {
  if (!payload.response_url) return;
  await ports.slack.respond(payload.response_url, message).catch((error: unknown) => {
    ports.logger.warn('could not answer a Slack button', { error: String(error) });
  });
}

function parsePayload(raw: string | null): BlockActions | undefined {
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as BlockActions) : undefined;
  } catch {
    return undefined;
  }
}
