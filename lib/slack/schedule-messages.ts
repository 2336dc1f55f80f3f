/**
 * `/run schedules`: the schedules a Slack user may see, one line each (name, expression, whether it
 * is enabled, what its last fire did), escaped and cut to Slack's limits as every message is.
 */
import type { Schedule } from '#lib/domain/schedule.ts';
import { cutEscaped, escapeSlackText, inlineCode, message, MESSAGE_BLOCK_LIMIT, packLines, section, type SlackMessage } from './messages.ts';

export function scheduleListMessage(schedules: readonly Schedule[]): SlackMessage {
  if (schedules.length === 0) return message('No schedules', [section('No schedules of the profiles you may use here. They are made with the API or `fargate-jobs schedule create`.')]);
  const head = `${schedules.length} schedule${schedules.length === 1 ? '' : 's'}`;
  return message(head, [section(`*${head}*`), ...packLines(schedules.map(scheduleLine), MESSAGE_BLOCK_LIMIT - 1, 'schedule')]);
}

function scheduleLine(schedule: Schedule): string {
  const name = `*${cutEscaped(escapeSlackText(schedule.name), 64)}*`;
  const when = inlineCode(`${schedule.schedule}${schedule.timezone && schedule.timezone !== 'UTC' ? ` ${schedule.timezone}` : ''}`);
  const state = schedule.enabled ? 'enabled' : '⏸️ paused';
  return `${name} · ${when} · ${state} · ${lastFire(schedule)}`;
}

function lastFire(schedule: Schedule): string {
  const fire = schedule.fires?.at(-1);
  if (!fire) return 'not fired yet';
  const what = fire.outcome === 'submitted' ? `job ${escapeSlackText(fire.jobId ?? '')}` : `${fire.outcome}: ${cutEscaped(escapeSlackText(fire.reason ?? ''), 120)}`;
  return `last fire ${escapeSlackText(fire.at)}, ${what}`;
}
