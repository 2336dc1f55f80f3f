/**
 * The EventBridge Scheduler trigger: one Scheduler schedule per schedule, in the stage's group,
 * invoking the fire function with the fire's due time, against aws-sdk-client-mock with the
 * service's own commands, answers and exceptions.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  InternalServerException,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  UpdateScheduleCommand,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { SCHEDULED_TIME, scheduleFireOf } from '#lib/adapters/aws/scheduler-fire-event.ts';
import { EventBridgeScheduleTrigger, FIRE_RETRY_POLICY } from '#lib/adapters/aws/scheduler-trigger.ts';
import { FargateJobsError, ScheduleTriggerUnavailableError, ValidationError } from '#lib/domain/errors.ts';
import type { Schedule } from '#lib/domain/schedule.ts';

const scheduler = mockClient(SchedulerClient);

const GROUP = 'fargate-jobs-dev';
const FIRE_FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:fargate-jobs-dev-fireSchedule';
const SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/fargate-jobs-dev-SchedulerRole-1A2B3C4D5E6F';
const METADATA = { httpStatusCode: 200, requestId: 'c0ffee00-0000-4000-8000-000000000001' };

function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    name: 'nightly-report',
    schedule: 'cron(0 2 * * ? *)',
    job: { profile: 'default', command: ['make', 'report'] },
    overlap: 'skip',
    enabled: true,
    createdBy: 'ops',
    createdByProfiles: ['default'],
    createdAt: '2030-01-01T12:00:00.000Z',
    updatedAt: '2030-01-01T12:00:00.000Z',
    ...overrides,
  };
}

function scheduleArn(name: string): string {
  return `arn:aws:scheduler:eu-west-1:123456789012:schedule/${GROUP}/${name}`;
}

/** Scheduler's errors as the SDK reads them off the wire: the modelled `Message`, and `message` from it. */
function wire(status: number, message: string) {
  return { $metadata: { httpStatusCode: status }, Message: message, message };
}
const conflict = (name: string) => new ConflictException(wire(409, `Schedule ${name} already exists.`));
const notFound = (name: string) => new ResourceNotFoundException(wire(404, `Schedule ${name} does not exist.`));
const throttled = () => new ThrottlingException(wire(429, 'Rate exceeded'));
const invalid = (message: string) => new ValidationException(wire(400, message));

function createCalls(): CreateScheduleCommandInput[] {
  return scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input);
}

function updateCalls(): CreateScheduleCommandInput[] {
  return scheduler.commandCalls(UpdateScheduleCommand).map((call) => call.args[0].input);
}

describe('EventBridgeScheduleTrigger', () => {
  let trigger: EventBridgeScheduleTrigger;

  beforeEach(() => {
    scheduler.reset();
    trigger = new EventBridgeScheduleTrigger({
      client: new SchedulerClient({ region: 'eu-west-1' }),
      groupName: GROUP,
      targetArn: FIRE_FUNCTION_ARN,
      roleArn: SCHEDULER_ROLE_ARN,
    });
  });

  it("creates a new schedule in the stage's group, on time, invoking the fire function with its role and the fire's due time", async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ $metadata: METADATA, ScheduleArn: scheduleArn('nightly-report') });

    // Act
    await trigger.upsert(schedule());

    // Assess
    assert.deepEqual(createCalls(), [
      {
        GroupName: GROUP,
        Name: 'nightly-report',
        ScheduleExpression: 'cron(0 2 * * ? *)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        ActionAfterCompletion: 'NONE',
        Target: {
          Arn: FIRE_FUNCTION_ARN,
          RoleArn: SCHEDULER_ROLE_ARN,
          Input: JSON.stringify({ name: 'nightly-report', fireTime: '<aws.scheduler.scheduled-time>' }),
          RetryPolicy: { MaximumRetryAttempts: FIRE_RETRY_POLICY.MaximumRetryAttempts, MaximumEventAgeInSeconds: FIRE_RETRY_POLICY.MaximumEventAgeInSeconds },
        },
      },
    ]);
    assert.equal(updateCalls().length, 0);
  });

  it("gives Scheduler the schedule's time zone", async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ $metadata: METADATA, ScheduleArn: scheduleArn('nightly-report') });

    // Act
    await trigger.upsert(schedule({ timezone: 'Europe/Paris' }));

    // Assess
    assert.equal(createCalls()[0]?.ScheduleExpressionTimezone, 'Europe/Paris');
  });

  it('pauses a schedule that is not enabled (State DISABLED), keeping it in Scheduler', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ $metadata: METADATA, ScheduleArn: scheduleArn('nightly-report') });

    // Act
    await trigger.upsert(schedule({ enabled: false }));

    // Assess
    assert.equal(createCalls()[0]?.State, 'DISABLED');
  });

  it('keeps a one-time at() schedule after its fire, and writes the expression as given', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ $metadata: METADATA, ScheduleArn: scheduleArn('release-eve') });

    // Act
    await trigger.upsert(schedule({ name: 'release-eve', schedule: 'at(2030-12-24T18:00:00)', timezone: 'America/New_York' }));

    // Assess
    const [input] = createCalls();
    assert.equal(input?.ScheduleExpression, 'at(2030-12-24T18:00:00)');
    assert.equal(input?.ActionAfterCompletion, 'NONE');
    assert.equal(input?.ScheduleExpressionTimezone, 'America/New_York');
  });

  it('updates a schedule that exists with the whole schedule, as UpdateSchedule replaces every field', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(conflict('nightly-report'));
    scheduler.on(UpdateScheduleCommand).resolves({ $metadata: METADATA, ScheduleArn: scheduleArn('nightly-report') });
    const changed = schedule({ schedule: 'rate(30 minutes)', enabled: false });

    // Act
    await trigger.upsert(changed);

    // Assess
    assert.equal(createCalls().length, 1);
    assert.deepEqual(updateCalls(), createCalls(), 'the update sends exactly what the create did');
    assert.equal(updateCalls()[0]?.ScheduleExpression, 'rate(30 minutes)');
    assert.equal(updateCalls()[0]?.State, 'DISABLED');
  });

  it('creates it again when it was deleted between the create that found it and the update', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejectsOnce(conflict('nightly-report')).resolves({ $metadata: METADATA, ScheduleArn: scheduleArn('nightly-report') });
    scheduler.on(UpdateScheduleCommand).rejects(notFound('nightly-report'));

    // Act
    await trigger.upsert(schedule());

    // Assess
    assert.equal(createCalls().length, 2);
    assert.equal(updateCalls().length, 1);
  });

  it('gives up, as a transient error, on a schedule that keeps changing while it is written', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(conflict('nightly-report'));
    scheduler.on(UpdateScheduleCommand).rejects(new ConflictException(wire(409, 'Schedule nightly-report is being modified.')));

    // Act
    const upserting = trigger.upsert(schedule());

    // Assess
    await assert.rejects(upserting, ScheduleTriggerUnavailableError);
    assert.equal(createCalls().length, 3);
    assert.equal(updateCalls().length, 3);
  });

  it('turns throttling and Scheduler\'s own failures into the typed transient error, keeping the cause', async () => {
    for (const error of [throttled(), new InternalServerException(wire(500, 'Unexpected error encountered while processing the request.'))]) {
      // Prepare
      scheduler.reset();
      scheduler.on(CreateScheduleCommand).rejects(error);

      // Act
      const upserting = trigger.upsert(schedule());

      // Assess
      await assert.rejects(upserting, (thrown: unknown) => {
        assert.ok(thrown instanceof ScheduleTriggerUnavailableError, String(thrown));
        assert.equal(thrown.name, 'ScheduleTriggerUnavailable');
        assert.equal(thrown.code, 'SCHEDULE_TRIGGER_UNAVAILABLE');
        assert.equal(thrown.cause, error);
        return true;
      });
    }
  });

  it("answers an expression or time zone Scheduler refuses as the caller's validation error, in Scheduler's words", async () => {
    for (const [message, path] of [
      ['Invalid Schedule Expression cron(0 2 * * *).', 'schedule'],
      ['Invalid ScheduleExpressionTimezone: Mars/Olympus_Mons.', 'timezone'],
    ] as const) {
      // Prepare
      scheduler.reset();
      scheduler.on(CreateScheduleCommand).rejects(invalid(message));

      // Act
      const upserting = trigger.upsert(schedule());

      // Assess
      await assert.rejects(upserting, (thrown: unknown) => {
        assert.ok(thrown instanceof ValidationError, String(thrown));
        assert.equal(thrown.code, 'VALIDATION_FAILED');
        assert.match(thrown.message, /nightly-report/);
        assert.ok(thrown.message.includes(message));
        assert.deepEqual(thrown.details, [{ path, message }]);
        return true;
      });
    }
  });

  it("leaves Scheduler's refusals of the deployment's target or role as they are: the operator's to fix, never the caller's", async () => {
    // Prepare
    const refused = invalid('The execution role you provide must allow AWS EventBridge Scheduler to assume the role.');
    scheduler.on(CreateScheduleCommand).rejects(refused);

    // Act
    const upserting = trigger.upsert(schedule());

    // Assess
    await assert.rejects(upserting, (thrown: unknown) => thrown === refused && !(thrown instanceof FargateJobsError));
  });

  it('maps an update refused for validation the same way as a create', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(conflict('nightly-report'));
    scheduler.on(UpdateScheduleCommand).rejects(invalid('Invalid Schedule Expression rate(0 minutes).'));

    // Act
    const upserting = trigger.upsert(schedule({ schedule: 'rate(0 minutes)' }));

    // Assess
    await assert.rejects(upserting, ValidationError);
  });

  it("removes the schedule from the stage's group, and counts one that is not there as removed", async () => {
    // Prepare
    scheduler.on(DeleteScheduleCommand, { Name: 'nightly-report' }).resolves({ $metadata: METADATA });
    scheduler.on(DeleteScheduleCommand, { Name: 'gone-already' }).rejects(notFound('gone-already'));

    // Act
    await trigger.remove('nightly-report');
    await trigger.remove('gone-already');

    // Assess
    assert.deepEqual(
      scheduler.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input),
      [
        { GroupName: GROUP, Name: 'nightly-report' },
        { GroupName: GROUP, Name: 'gone-already' },
      ],
    );
  });

  it('turns a throttled delete into the typed transient error', async () => {
    // Prepare
    scheduler.on(DeleteScheduleCommand).rejects(throttled());

    // Act
    const removing = trigger.remove('nightly-report');

    // Assess
    await assert.rejects(removing, ScheduleTriggerUnavailableError);
  });
});

describe("the fire event Scheduler delivers (the target's Input with the scheduled time filled in)", () => {
  it('reads the name and the due time of a delivery', () => {
    // Prepare: the Input as the trigger writes it, with the context attribute replaced as Scheduler does.
    const input = JSON.stringify({ name: 'nightly-report', fireTime: SCHEDULED_TIME }).replace(SCHEDULED_TIME, '2030-01-02T02:00:00Z');

    // Act
    const fire = scheduleFireOf(JSON.parse(input));

    // Assess
    assert.deepEqual(fire, { name: 'nightly-report', fireTime: new Date('2030-01-02T02:00:00Z') });
  });

  it('reads nothing from an event that is not a fire of a schedule', () => {
    for (const event of [
      null,
      'nightly-report',
      {},
      { name: 'nightly-report' },
      { name: 'nightly-report', fireTime: SCHEDULED_TIME },
      { name: 'nightly-report', fireTime: 'yesterday' },
      { name: 'nightly-report', fireTime: '2030-13-45T99:00:00Z' },
      { name: 'Nightly Report', fireTime: '2030-01-02T02:00:00Z' },
      { name: 42, fireTime: '2030-01-02T02:00:00Z' },
    ]) {
      assert.equal(scheduleFireOf(event), undefined, JSON.stringify(event));
    }
  });
});
