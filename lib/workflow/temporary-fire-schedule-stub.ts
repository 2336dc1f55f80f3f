/**
 * TEMPORARY, branch u23-sched-aws only: stands in for the domain's `fireSchedule` (lib/domain, written
 * on u23-sched-local) until it is on main. Deleted, and its import replaced by the domain's, then.
 * It does the least a fire does: one job per schedule and fire time, recorded on the schedule.
 */
import { fireIdempotencyKey, SCHEDULE_LABEL, type ScheduleFire } from '#lib/domain/schedule.ts';
import { submitJob, type SubmitJobPorts } from '#lib/domain/job-service.ts';
import type { ScheduleStore } from '#lib/domain/ports.ts';
import type { SubmitJobInput } from '#lib/domain/job-service.ts';

export type FireSchedulePorts = SubmitJobPorts & { schedules: ScheduleStore };

export async function fireSchedule(ports: FireSchedulePorts, name: string, fireTime: Date): Promise<ScheduleFire> {
  const schedule = await ports.schedules.get(name);
  const at = fireTime.toISOString();
  if (!schedule) return { at, outcome: 'skipped', reason: `schedule '${name}' does not exist` };
  const caller = { name: schedule.createdBy, profiles: schedule.createdByProfiles };
  const input = {
    ...(schedule.job as unknown as SubmitJobInput),
    env: (schedule.job.env as Record<string, string> | undefined) ?? {},
    profile: schedule.job.profile ?? 'default',
    labels: { ...((schedule.job.labels as Record<string, string> | undefined) ?? {}), [SCHEDULE_LABEL]: name },
    idempotencyKey: fireIdempotencyKey(name, fireTime),
  };
  const { job } = await submitJob(ports, input, caller);
  const fire: ScheduleFire = { at, outcome: 'submitted', jobId: job.id };
  await ports.schedules.recordFire(name, fire);
  return fire;
}
