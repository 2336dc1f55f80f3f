/**
 * The ScheduleTrigger port on AWS: one EventBridge Scheduler schedule per schedule, named as it is,
 * in the stage's schedule group. Its target is the fire function (which submits the fire's job),
 * invoked with the stage's scheduler role and the Input of scheduler-fire-event.ts, whose
 * `<aws.scheduler.scheduled-time>` gives every delivery of a fire the time it was due at.
 *
 * Every write sends the whole schedule (CreateSchedule, or UpdateSchedule where it exists): nothing is
 * read and merged, so of two writes racing the later one stands whole, and none loses a field to the other.
 */
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { ScheduleTriggerUnavailableError, ValidationError } from '#lib/domain/errors.ts';
import type { ScheduleTrigger } from '#lib/domain/ports.ts';
import type { Schedule } from '#lib/domain/schedule.ts';
import { scheduleFireInput } from './scheduler-fire-event.ts';

/**
 * How long, and how often, Scheduler tries again to hand a fire to the function (Lambda refused the
 * asynchronous invocation). A fire more than an hour late is no longer the one the schedule meant.
 * Once Lambda has the event, its own asynchronous retries apply (serverless.yml: fireSchedule).
 */
export const FIRE_RETRY_POLICY = { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 } as const;

/** Creates and updates racing with another change (a delete, another update) are tried again this many times in all. */
const MAX_WRITE_ATTEMPTS = 3;

/** Error names of calls that may well succeed if made again a little later. */
const TRANSIENT_ERRORS = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'InternalServerException', 'ServiceUnavailableException']);

/**
 * Scheduler's validation messages that are about the deployment (the target, its role), not the
 * schedule a caller sent: those are the operator's to fix, never shown to the caller.
 */
const DEPLOYMENT_FAULT = /\brole\b|\btarget\b|\barn\b/i;

export interface EventBridgeScheduleTriggerOptions {
  client: SchedulerClient;
  /** The stage's schedule group. */
  groupName: string;
  /** The fire function's ARN. */
  targetArn: string;
  /** The role Scheduler invokes the fire function with. */
  roleArn: string;
}

export class EventBridgeScheduleTrigger implements ScheduleTrigger {
  readonly #client: SchedulerClient;
  readonly #groupName: string;
  readonly #targetArn: string;
  readonly #roleArn: string;

  constructor(options: EventBridgeScheduleTriggerOptions) {
    this.#client = options.client;
    this.#groupName = options.groupName;
    this.#targetArn = options.targetArn;
    this.#roleArn = options.roleArn;
  }

  async upsert(schedule: Schedule): Promise<void> {
    const request = this.#request(schedule);
    for (let attempt = 1; ; attempt += 1) {
      const written = await this.#write(request, schedule.name);
      if (written) return;
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new ScheduleTriggerUnavailableError('CreateSchedule/UpdateSchedule', new Error(`schedule '${schedule.name}' kept changing while it was written`));
      }
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.#client.send(new DeleteScheduleCommand({ GroupName: this.#groupName, Name: name }));
    } catch (error) {
      if (isNamed(error, 'ResourceNotFoundException')) return;
      throw mapped('DeleteSchedule', name, error);
    }
  }

  /**
   * Creates the schedule, or updates it where it exists. false: it changed between the two calls
   * (deleted after the create found it, or modified at the same moment), and is to be written again.
   */
  async #write(request: CreateScheduleCommandInput, name: string): Promise<boolean> {
    try {
      await this.#client.send(new CreateScheduleCommand(request));
      return true;
    } catch (error) {
      if (!isNamed(error, 'ConflictException')) throw mapped('CreateSchedule', name, error);
    }
    try {
      await this.#client.send(new UpdateScheduleCommand(request));
      return true;
    } catch (error) {
      if (isNamed(error, 'ResourceNotFoundException') || isNamed(error, 'ConflictException')) return false;
      throw mapped('UpdateSchedule', name, error);
    }
  }

  /** The whole schedule as CreateSchedule and UpdateSchedule take it (UpdateSchedule replaces every field). */
  #request(schedule: Schedule): CreateScheduleCommandInput {
    return {
      GroupName: this.#groupName,
      Name: schedule.name,
      ScheduleExpression: schedule.schedule,
      ScheduleExpressionTimezone: schedule.timezone ?? 'UTC',
      // On time: a flexible window would move the fire, and its time with it.
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: schedule.enabled ? 'ENABLED' : 'DISABLED',
      // An at() schedule stays after its one fire, so that Scheduler holds exactly the schedules the
      // store does (DELETE /schedules/{name} removes both); a schedule that fires no more costs nothing.
      ActionAfterCompletion: 'NONE',
      Target: {
        Arn: this.#targetArn,
        RoleArn: this.#roleArn,
        Input: scheduleFireInput(schedule.name),
        RetryPolicy: { ...FIRE_RETRY_POLICY },
      },
    };
  }
}

/**
 * What a failed call means here: throttling and Scheduler's own trouble are transient; a schedule
 * Scheduler refuses (an expression or time zone the domain let through) is the caller's to fix, with
 * Scheduler's own words; anything else (a missing group, a role it cannot assume) is the deployment's.
 */
function mapped(operation: string, name: string, error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (TRANSIENT_ERRORS.has(error.name) || (error as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true) {
    return new ScheduleTriggerUnavailableError(operation, error);
  }
  if (error.name === 'ValidationException' && !DEPLOYMENT_FAULT.test(error.message)) {
    const path = /time ?zone/i.test(error.message) ? 'timezone' : 'schedule';
    return new ValidationError(`EventBridge Scheduler refused schedule '${name}': ${error.message}`, [{ path, message: error.message }]);
  }
  return error;
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
