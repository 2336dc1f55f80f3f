/**
 * The schedules' use cases (POST/GET/PATCH/DELETE /schedules), one function each, with the rules a
 * schedule is held to when it is made, not when it fires: an expression EventBridge Scheduler takes
 * and that fires again, a time zone, and a job request POST /jobs would accept from the caller now.
 * A schedule is seen only by callers who may use its job's profile: any other is as absent as one
 * that does not exist, as jobs are.
 *
 * Firing is schedule-fire.ts's: the one submit path of the local scheduler and of AWS's fire function.
 */
import { mayUse, type Caller } from './caller.ts';
import { ConflictError, ProfileForbiddenError, ProfileRejectedError, ScheduleNotFoundError, ValidationError, type ErrorDetail } from './errors.ts';
import { clockOf, type Dependencies } from './ports.ts';
import { resolveJobRequest } from './profile.ts';
import { SCHEDULE_LABEL, SCHEDULE_NAME, type OverlapPolicy, type Schedule, type ScheduledJobRequest } from './schedule.ts';
import { checkTimezone, parseScheduleExpression } from './schedule-expression.ts';
import { separateSecrets } from './secrets.ts';
import { scheduledJobInput } from './schedule-fire.ts';

export type ScheduleReadPorts = Required<Pick<Dependencies, 'schedules'>>;
/** What checking a schedule's job takes: the profiles, and the policy on webhook URLs. */
export type ScheduleCheckPorts = Pick<Dependencies, 'profiles' | 'callbackUrls' | 'now'> & Required<Pick<Dependencies, 'scheduleCalendar'>>;
export type ScheduleWritePorts = ScheduleReadPorts & ScheduleCheckPorts & Required<Pick<Dependencies, 'scheduleTrigger'>> & Pick<Dependencies, 'logger'>;

/** A schedule as a client asks for it; `job.profile` is given (the caller's default filled in at the edge). */
export interface NewSchedule {
  name: string;
  schedule: string;
  timezone?: string;
  job: ScheduledJobRequest & { profile: string };
  overlap: OverlapPolicy;
  enabled: boolean;
}

/** What PATCH may change; a `job` replaces the whole job request. */
export type ScheduleChanges = Partial<Omit<NewSchedule, 'name'>>;

export async function createSchedule(ports: ScheduleWritePorts, input: NewSchedule, caller: Caller): Promise<Schedule> {
  if (!SCHEDULE_NAME.test(input.name)) {
    throw new ValidationError(`'${input.name}' is not a schedule name`, [{ path: 'name', message: 'must be 1 to 64 of a-z, 0-9 and -, starting with a letter or digit' }]);
  }
  const now = clockOf(ports)().toISOString();
  const schedule: Schedule = {
    name: input.name,
    schedule: parseScheduleExpression(input.schedule).text,
    ...(input.timezone === undefined ? {} : { timezone: checkTimezone(input.timezone) }),
    job: checkScheduledJob(ports, input.job, caller),
    overlap: input.overlap,
    enabled: input.enabled,
    createdBy: caller.name,
    createdByProfiles: [...caller.profiles],
    createdAt: now,
    updatedAt: now,
  };
  checkFiresAgain(ports, schedule);
  if (!(await ports.schedules.create(schedule))) throw new ConflictError('SCHEDULE_EXISTS', `a schedule named '${input.name}' exists already; choose another name, or change it with PATCH /schedules/${input.name}`);
  try {
    await ports.scheduleTrigger.upsert(schedule);
  } catch (error) {
    // Without its trigger the schedule would never fire: it is not kept, and asking again may succeed.
    await ports.schedules.delete(schedule.name).catch((cleanup: unknown) => ports.logger?.error('could not remove a schedule whose trigger failed', { schedule: schedule.name, error: String(cleanup) }));
    throw error;
  }
  return schedule;
}

/** A schedule whose job's profile the caller may not use is as absent as one that does not exist. */
export async function getSchedule(ports: ScheduleReadPorts, name: string, caller: Caller): Promise<Schedule> {
  const schedule = SCHEDULE_NAME.test(name) ? await ports.schedules.get(name) : undefined;
  if (!schedule || !isVisibleTo(caller, schedule)) throw new ScheduleNotFoundError(name);
  return schedule;
}

/** By name, only those the caller may see. */
export async function listSchedules(ports: ScheduleReadPorts, caller: Caller): Promise<Schedule[]> {
  return (await ports.schedules.list()).filter((schedule) => isVisibleTo(caller, schedule));
}

export function isVisibleTo(caller: Caller, schedule: Pick<Schedule, 'job'>): boolean {
  return mayUse(caller, String(schedule.job.profile));
}

/**
 * Changes a schedule the caller may see; a new job request is checked as a new schedule's is. The
 * schedule keeps its creator, as whom its jobs are submitted; a rate counts again from now.
 */
export async function updateSchedule(ports: ScheduleWritePorts, name: string, changes: ScheduleChanges, caller: Caller): Promise<Schedule> {
  const current = await getSchedule(ports, name, caller);
  const timing = changes.schedule !== undefined || changes.timezone !== undefined || (changes.enabled === true && !current.enabled);
  const updated: Schedule = {
    ...current,
    ...(changes.schedule === undefined ? {} : { schedule: parseScheduleExpression(changes.schedule).text }),
    ...(changes.timezone === undefined ? {} : { timezone: checkTimezone(changes.timezone) }),
    ...(changes.job === undefined ? {} : { job: checkScheduledJob(ports, changes.job, caller) }),
    ...(changes.overlap === undefined ? {} : { overlap: changes.overlap }),
    ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
    updatedAt: clockOf(ports)().toISOString(),
  };
  if (timing) checkFiresAgain(ports, updated);
  const stored = await ports.schedules.put(updated);
  if (!stored) throw new ScheduleNotFoundError(name);
  try {
    await ports.scheduleTrigger.upsert(stored);
  } catch (error) {
    // The trigger fires as it did: the record says so too.
    await ports.schedules.put(current).catch((restore: unknown) => ports.logger?.error('could not restore a schedule whose trigger failed', { schedule: name, error: String(restore) }));
    throw error;
  }
  return stored;
}

/** Removes the trigger first: a schedule whose removal stopped halfway still shows, and DELETE again finishes it. */
export async function deleteSchedule(ports: ScheduleWritePorts, name: string, caller: Caller): Promise<void> {
  await getSchedule(ports, name, caller);
  await ports.scheduleTrigger.remove(name);
  if (!(await ports.schedules.delete(name))) throw new ScheduleNotFoundError(name);
}

/** When the schedule fires next: none while it is paused, or when it never fires again. */
export function nextFireAt(ports: Required<Pick<Dependencies, 'scheduleCalendar'>> & Pick<Dependencies, 'now'>, schedule: Schedule): string | undefined {
  if (!schedule.enabled) return undefined;
  try {
    return ports.scheduleCalendar.nextFireTime(schedule, clockOf(ports)())?.toISOString();
  } catch {
    return undefined;
  }
}

/** A schedule that would never fire is a mistake to point out now (an `at` in the past, 30 February). */
function checkFiresAgain(ports: ScheduleCheckPorts, schedule: Schedule): void {
  if (ports.scheduleCalendar.nextFireTime(schedule, clockOf(ports)()) !== undefined) return;
  const zone = schedule.timezone ?? 'UTC';
  throw new ValidationError(`${schedule.schedule} never fires after now (${zone})`, [{ path: 'schedule', message: `has no fire time after now in ${zone}` }]);
}

/**
 * The job request as POST /jobs would take it from this caller now, so that a schedule that could
 * never submit is refused at once instead of failing at every fire. Refused besides: what a
 * schedule sets itself (the idempotency key, the `schedule` label), a rerun, and values of secret
 * variables, which are never stored (a schedule would have to keep them to send them each time).
 */
export function checkScheduledJob(ports: ScheduleCheckPorts, job: ScheduledJobRequest & { profile: string }, caller: Caller): ScheduledJobRequest & { profile: string } {
  if (!mayUse(caller, job.profile)) throw new ProfileForbiddenError(caller.name, job.profile, caller.profiles);
  const profile = ports.profiles.get(job.profile);
  if (!profile) throw new ProfileRejectedError('UNKNOWN_PROFILE', `profile '${job.profile}' does not exist`);
  const details: ErrorDetail[] = [];
  if (job.idempotencyKey !== undefined) details.push({ path: 'job.idempotencyKey', message: "must be absent: each fire's job is keyed by the schedule's name and fire time" });
  if (job.rerunOf !== undefined) details.push({ path: 'job.rerunOf', message: 'must be absent: a schedule runs a job request, not a rerun' });
  const labels = (job.labels ?? {}) as Record<string, unknown>;
  if (Object.hasOwn(labels, SCHEDULE_LABEL)) details.push({ path: `job.labels.${SCHEDULE_LABEL}`, message: "must be absent: each fire's job has the label schedule=<name>" });
  const { secrets } = separateSecrets(profile, (job.env ?? {}) as Record<string, string>);
  for (const name of Object.keys(secrets)) {
    details.push({ path: `job.env.${name}`, message: "is a secret variable of the profile, whose value is never stored: a schedule cannot keep it (give it to the task definition's secrets instead)" });
  }
  if (details.length > 0) throw new ValidationError(`the schedule's job is not valid: ${details.map((detail) => `${detail.path} ${detail.message}`).join('; ')}`, details);
  const input = scheduledJobInput(job);
  resolveJobRequest(profile, input);
  const callbackUrl = input.callbackUrl ?? profile.callbackUrl;
  if (callbackUrl === undefined && input.callbackEvents?.length) {
    throw new ValidationError('callbackEvents needs a callbackUrl', [{ path: 'job.callbackEvents', message: `profile '${profile.name}' has no callbackUrl of its own: give one` }]);
  }
  if (input.callbackUrl !== undefined) ports.callbackUrls.check(input.callbackUrl);
  return job;
}
