import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { taskStateChangeOf, type EcsTaskStateChangeEvent } from '#lib/adapters/aws/ecs-task-events.ts';

const JOB_ID = 'job-01jz3k4m5n6p7q8r9s0t1v2w3x';
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs-test/0123456789abcdef0123456789abcdef';

/** A STOPPED event as EventBridge delivers it (the shape of AWS's "Amazon ECS task state change events" page). */
function stoppedEvent(detail: Partial<EcsTaskStateChangeEvent['detail']> = {}): EcsTaskStateChangeEvent {
  return {
    version: '0',
    id: '3317b2af-7005-947d-b652-f55e762e571a',
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '123456789012',
    time: '2026-12-01T10:01:02Z',
    region: 'eu-west-1',
    resources: [TASK_ARN],
    detail: {
      attachments: [
        {
          id: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8',
          type: 'eni',
          status: 'DELETED',
          details: [
            { name: 'subnetId', value: 'subnet-0a1b2c3d' },
            { name: 'networkInterfaceId', value: 'eni-0a1b2c3d4e5f60718' },
            { name: 'macAddress', value: '0a:1b:2c:3d:4e:5f' },
            { name: 'privateIPv4Address', value: '10.0.1.23' },
          ],
        },
      ],
      availabilityZone: 'eu-west-1a',
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/fargate-jobs-test',
      containers: [
        { containerArn: `${TASK_ARN}/sidecar`, name: 'log-router', lastStatus: 'STOPPED', exitCode: 0, taskArn: TASK_ARN },
        { containerArn: `${TASK_ARN}/job`, name: 'job', lastStatus: 'STOPPED', exitCode: 3, taskArn: TASK_ARN },
      ],
      createdAt: '2026-12-01T10:00:00.120Z',
      desiredStatus: 'STOPPED',
      group: 'family:fargate-jobs-test-default',
      lastStatus: 'STOPPED',
      launchType: 'FARGATE',
      overrides: { containerOverrides: [{ name: 'job', command: ['sh', '-c', 'exit 3'] }] },
      startedAt: '2026-12-01T10:00:31.456Z',
      startedBy: JOB_ID,
      stopCode: 'EssentialContainerExited',
      stoppedAt: '2026-12-01T10:01:01.789Z',
      stoppedReason: 'Essential container in task exited',
      taskArn: TASK_ARN,
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/fargate-jobs-test-default:7',
      updatedAt: '2026-12-01T10:01:01.900Z',
      version: 6,
      ...detail,
    },
  };
}

describe('taskStateChangeOf', () => {
  it("reads a STOPPED event: the job from startedBy, ECS's version, the task definition family, the watched container's exit code, the stop and the ENI", () => {
    // Act
    const change = taskStateChangeOf(stoppedEvent());

    // Assess
    assert.deepEqual(change, {
      jobId: JOB_ID,
      version: 6,
      taskArn: TASK_ARN,
      taskDefinitionFamily: 'fargate-jobs-test-default',
      lastStatus: 'STOPPED',
      startedAt: '2026-12-01T10:00:31.456Z',
      stoppedAt: '2026-12-01T10:01:01.789Z',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      exitCode: 3,
      network: { eniId: 'eni-0a1b2c3d4e5f60718', privateIp: '10.0.1.23' },
    });
  });

  it('has no exit code for a task stopped before its container ran', () => {
    // Act
    const change = taskStateChangeOf(
      stoppedEvent({ containers: [{ name: 'job', lastStatus: 'STOPPED', reason: 'CannotPullContainerError: pull access denied' }], stopCode: 'TaskFailedToStart', startedAt: undefined }),
    );

    // Assess
    assert.equal(change?.exitCode, null);
    assert.equal(change?.containerReason, 'CannotPullContainerError: pull access denied');
    assert.equal(change?.startedAt, undefined);
  });

  it("reads the watched container's exec agent from a RUNNING event of a task started with ECS Exec", () => {
    // Prepare: a RUNNING event's containers carry their managed agents, times as strings.
    const running = stoppedEvent({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      enableExecuteCommand: true,
      stopCode: undefined,
      stoppedAt: undefined,
      stoppedReason: undefined,
      version: 4,
      containers: [
        { containerArn: `${TASK_ARN}/sidecar`, name: 'log-router', lastStatus: 'RUNNING', taskArn: TASK_ARN, runtimeId: '0123456789abcdef0123456789abcdef-0000000001' },
        {
          containerArn: `${TASK_ARN}/job`,
          name: 'job',
          lastStatus: 'RUNNING',
          taskArn: TASK_ARN,
          runtimeId: '0123456789abcdef0123456789abcdef-1497048990',
          managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING', lastStartedAt: '2026-12-01T10:00:35.010Z' as unknown as Date }],
        },
      ],
    });

    // Act
    const change = taskStateChangeOf(running);

    // Assess
    assert.equal(change?.lastStatus, 'RUNNING');
    assert.equal(change?.execAgentStatus, 'RUNNING');
    assert.equal(change?.runtimeId, '0123456789abcdef0123456789abcdef-1497048990');
    assert.equal(change?.exitCode, null);
  });

  it('has no exec agent status for a task started without exec', () => {
    assert.equal(taskStateChangeOf(stoppedEvent())?.execAgentStatus, undefined);
  });

  it('ignores tasks no job started (startedBy not a job id) and events of another type', () => {
    assert.equal(taskStateChangeOf(stoppedEvent({ startedBy: 'ecs-svc/1234567890' })), undefined);
    assert.equal(taskStateChangeOf(stoppedEvent({ startedBy: undefined })), undefined);
    assert.equal(taskStateChangeOf({ ...stoppedEvent(), 'detail-type': 'ECS Container Instance State Change' } as unknown as EcsTaskStateChangeEvent), undefined);
  });
});
