/**
 * TEMPORARY, branch u23-sched-aws only: stands in for lib/http/schedules.ts (u23-sched-local) so that
 * the schedules function bundles before that lands; deleted, and handlers/http/schedules.ts pointed at
 * the real module, then. Its ports are those the real handler is expected to take.
 */
import type { Dependencies, ScheduleStore, ScheduleTrigger } from '#lib/domain/ports.ts';
import { httpHandler } from './http-handler.ts';
import { errorBody } from './responses.ts';

export type SchedulesPorts = Pick<Dependencies, 'store' | 'profiles' | 'logger'> & { schedules: ScheduleStore; scheduleTrigger: ScheduleTrigger };

export function schedulesHandler(ports: SchedulesPorts) {
  return httpHandler(async () => ({ statusCode: 501, headers: { 'content-type': 'application/json' }, body: JSON.stringify(errorBody('NOT_IMPLEMENTED', 'schedules are not here yet')) }), { logger: ports.logger });
}
