/**
 * POST /slack/commands: the `/run` slash command. Outside the token authorizer; Slack's signature
 * is checked instead. Every answer is quick (Slack waits 3 s): a run is stored and its workflow
 * started, and the workflow posts the job's message to the channel. Answers to the user alone are
 * ephemeral answers to the request itself: `/run status`, `/run logs`, `/run list` and `/run schedules` among them,
 * so that a job's output never lands in a channel by being asked about there.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { EVERY_PROFILE } from '#lib/domain/caller.ts';
import { clockOf } from '#lib/domain/ports.ts';
import { listJobs } from '#lib/domain/job-listing.ts';
import { canSee, mayRunProfile, type SlackRequester } from '#lib/slack/access.ts';
import { parseSlashCommand, SLASH_COMMAND_HELP, type SlashCommand } from '#lib/slack/command.ts';
import { SlackCommandSyntaxError } from '#lib/slack/command-text.ts';
import { listMessage, statusMessage, type SlackMessage } from '#lib/slack/messages.ts';
import { scheduleListMessage } from '#lib/slack/schedule-messages.ts';
import type { HttpResponse } from './responses.ts';
import { cancelFromSlack, visibleJob, logsOf, slackCaller, slackIdempotencyKey, submitFromSlack, type SlackPorts } from './slack-actions.ts';
import { ephemeral, textMessage, verifiedSlackForm } from './slack-request.ts';

/** How many of the user's jobs `/run list` shows, and how many recent jobs it looks through for them. */
const LISTED_JOBS = 10;
const LIST_SCAN = 100;

export function slackCommandsHandler(ports: SlackPorts) {
  return async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => {
    const checked = await verifiedSlackForm(event, ports.slack, ports.logger, clockOf(ports)());
    if ('refusal' in checked) return checked.refusal;
    const { form } = checked;
    const who: SlackRequester = { team: form.get('team_id') ?? '', channel: form.get('channel_id') ?? '', user: form.get('user_id') ?? '' };
    try {
      const command = parseSlashCommand(form.get('text') ?? '');
      return ephemeral(await answer(ports, who, command, form));
    } catch (error) {
      if (error instanceof SlackCommandSyntaxError) return ephemeral(textMessage(error.message));
      ports.logger.error('a Slack command failed', { error: String(error), user: who.user });
      return ephemeral(textMessage('⚠️ fargate-jobs hit an internal error; try again, or ask its operators to look at the logs.'));
    }
  };
}

async function answer(ports: SlackPorts, who: SlackRequester, command: SlashCommand, form: URLSearchParams): Promise<SlackMessage> {
  switch (command.kind) {
    case 'help':
      return textMessage(SLASH_COMMAND_HELP);
    case 'run':
      return run(ports, who, command, form);
    case 'cancel':
      return cancelFromSlack(ports, who, command.jobId);
    case 'status':
    case 'logs': {
      const job = await visibleJob(ports, who, command.jobId);
      if ('refusal' in job) return job.refusal;
      return command.kind === 'status' ? statusMessage(job) : logsOf(ports, job);
    }
    case 'list':
      return list(ports, who);
    case 'schedules':
      return schedules(ports, who);
  }
}

async function run(ports: SlackPorts, who: SlackRequester, command: { profile: string; command: string[] }, form: URLSearchParams): Promise<SlackMessage> {
  // Slack sends a retry (X-Slack-Retry-Num) with the same trigger_id: the same job, not a second.
  const trigger = form.get('trigger_id') || `${who.team}.${who.channel}.${who.user}.${form.get('text') ?? ''}`;
  const submitted = await submitFromSlack(ports, who, { ...command, idempotencyKey: slackIdempotencyKey('run', trigger) });
  if ('refusal' in submitted) return submitted.refusal;
  const { job, created } = submitted;
  return textMessage(created ? `⏳ Job ${job.id} submitted; it reports in this channel.` : `Job ${job.id} was already submitted for this command (${job.status}).`);
}

async function list(ports: SlackPorts, who: SlackRequester): Promise<SlackMessage> {
  const caller = slackCaller(ports.slack, who);
  const page = await listJobs(ports, { limit: LIST_SCAN }, { ...caller, profiles: [EVERY_PROFILE] });
  // Their own jobs, and of those only the ones they may see here: not a job of a profile this channel does not give them.
  const mine = page.jobs.filter((job) => job.submittedBy === caller.name && canSee(ports.slack.access, who, job)).slice(0, LISTED_JOBS);
  return mine.length === 0 ? textMessage('You have no recent jobs. Try `/run help`.') : listMessage(mine);
}

/** The schedules of the profiles the user may run here (as the API shows a token those of its profiles). */
async function schedules(ports: SlackPorts, who: SlackRequester): Promise<SlackMessage> {
  if (!ports.schedules) return textMessage('Schedules are not available from Slack in this deployment.');
  const visible = (await ports.schedules.list()).filter((schedule) => mayRunProfile(ports.slack.access, who, String(schedule.job.profile)));
  return scheduleListMessage(visible);
}
