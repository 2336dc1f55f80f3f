/**
 * The five schedule routes, one handler (one Lambda function on AWS): POST and GET /schedules, GET,
 * PATCH and DELETE /schedules/{name}, dispatched on the route key. Each answers with the schedule
 * document (schedule-document.ts); the scopes are the jobs' (a schedule of a profile the token may
 * not use is absent, and its job's profile must be one the token may use).
 */
import type { Context } from 'aws-lambda';
import { defaultProfileOf, type Caller } from '#lib/domain/caller.ts';
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  nextFireAt,
  updateSchedule,
  type ScheduleChanges,
  type ScheduleWritePorts,
} from '#lib/domain/schedule-service.ts';
import type { Schedule, ScheduledJobRequest } from '#lib/domain/schedule.ts';
import { httpHandler, type HttpCore, type HttpEvent } from './http-handler.ts';
import { parseQuery, parseWith } from './request.ts';
import { errorBody, json, type HttpResponse } from './responses.ts';
import { scheduleDocument } from './schedule-document.ts';
import { callbackEventsOf, createScheduleBody, noQuery, updateScheduleBody, type CreateJobBody } from './schemas.ts';

export type SchedulesPorts = ScheduleWritePorts;

export function schedulesHandler(ports: SchedulesPorts) {
  const document = (schedule: Schedule) => scheduleDocument(schedule, nextFireAt(ports, schedule));
  const withBody = (core: HttpCore) => httpHandler(core, { jsonBody: true, logger: ports.logger });
  const withoutBody = (core: HttpCore) => httpHandler(core, { logger: ports.logger });

  const list = withoutBody(async (event, caller) => {
    parseQuery(noQuery, event);
    return json(200, { schedules: (await listSchedules(ports, caller)).map(document) });
  });
  const get = withoutBody(async (event, caller) => {
    parseQuery(noQuery, event);
    return json(200, document(await getSchedule(ports, nameOf(event), caller)));
  });
  const routes: Record<string, (event: HttpEvent, context: Context) => Promise<HttpResponse>> = {
    'POST /schedules': withBody(async (event, caller) => {
      const { job, overlap, enabled, timezone, ...rest } = parseWith(createScheduleBody, event.body, 'the request body');
      const input = { ...rest, job: jobRequestOf(job, caller), overlap: overlap ?? 'allow', enabled: enabled ?? true, ...(timezone === undefined ? {} : { timezone }) };
      const created = document(await createSchedule(ports, input, caller));
      return json(201, created, { location: created.links.self });
    }),
    'GET /schedules': list,
    'HEAD /schedules': list,
    'GET /schedules/{name}': get,
    'HEAD /schedules/{name}': get,
    'PATCH /schedules/{name}': withBody(async (event, caller) => {
      const { job, ...rest } = parseWith(updateScheduleBody, event.body, 'the request body');
      const changes: ScheduleChanges = {
        ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)),
        ...(job === undefined ? {} : { job: jobRequestOf(job, caller) }),
      };
      return json(200, document(await updateSchedule(ports, nameOf(event), changes, caller)));
    }),
    'DELETE /schedules/{name}': withoutBody(async (event, caller) => {
      await deleteSchedule(ports, nameOf(event), caller);
      return { statusCode: 204, headers: {}, body: '' };
    }),
  };
  return async (event: HttpEvent, context: Context): Promise<HttpResponse> => {
    const route = routes[event.routeKey];
    // API Gateway routes only the five here: another route key is a deployment that wired this function wrongly.
    if (!route) return json(404, errorBody('ROUTE_NOT_FOUND', `no route for ${event.routeKey}`));
    return route(event, context);
  };
}

/** The job request as POST /jobs would take it from this caller: its profile named (the caller's default when none). */
function jobRequestOf(job: CreateJobBody, caller: Caller): ScheduledJobRequest & { profile: string } {
  const { profile, callbackEvents, ...rest } = job;
  const given = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  return { ...given, profile: profile ?? defaultProfileOf(caller), ...(callbackEvents ? { callbackEvents: callbackEventsOf(callbackEvents) } : {}) };
}

function nameOf(event: HttpEvent): string {
  return event.pathParameters?.name ?? '';
}
