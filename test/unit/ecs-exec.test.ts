/**
 * ECS Exec through the ECS task runner on a mocked SDK client: the ExecuteCommand request (one
 * string the agent splits like a shell, so each argument quoted where it must be), the session and
 * target handed back for session-manager-plugin, and what ECS's refusals mean for the caller.
 */
import { spawnSync } from 'node:child_process';
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessDeniedException,
  ECSClient,
  ECSServiceException,
  ExecuteCommandCommand,
  InvalidParameterException,
  TargetNotConnectedException,
  type ExecuteCommandCommandOutput,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { awsProfiles } from '#config/profiles.ts';
import { commandLine } from '#lib/adapters/aws/ecs-exec.ts';
import { EcsTaskRunner } from '#lib/adapters/aws/ecs-task-runner.ts';
import { taskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { ExecRefusedError } from '#lib/domain/errors.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { ExecRequest } from '#lib/domain/ports.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const CLUSTER = 'fargate-jobs-test';
const TASK_ID = 'a5e5f2d474c340868ab587abe5045bcf';
const TASK_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${TASK_ID}`;
const RUNTIME_ID = `${TASK_ID}-1497048990`;
const JOB_ID = 'job-01jb8y3k5d9x2m7q4r6t8v0w1z';
const SESSION_ID = 'ecs-execute-command-0e86561fe9aa5f3c0';

const settings = taskSettingsByProfile(
  awsProfiles({
    // The settings may name the cluster by ARN: the request names it as the task's ARN does.
    cluster: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
    subnets: ['subnet-07ed9813fb2c11702'],
    securityGroups: ['sg-0a1b2c3d4e5f60718'],
    logGroup: '/fargate-jobs/test/jobs',
    taskDefinitionPrefix: 'fargate-jobs-test',
  }),
);

function anExec(overrides: Partial<ExecRequest> = {}): ExecRequest {
  return { jobId: JOB_ID, profile: 'default', taskArn: TASK_ARN, runtimeId: RUNTIME_ID, command: ['/bin/sh'], ...overrides };
}

/** ExecuteCommand's answer, as ECS sends it. */
function executeCommandResponse(): ExecuteCommandCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
    containerArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container/${CLUSTER}/${TASK_ID}/ebc1fd0f-6a54-4973-94bb-1bcc4877c874`,
    containerName: 'job',
    interactive: true,
    session: {
      sessionId: SESSION_ID,
      streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/${SESSION_ID}?role=publish_subscribe`,
      tokenValue: 'AAEAAc2Ve7q0kN2tXg9l9D3w…',
    },
    taskArn: TASK_ARN,
  };
}

/** The words a POSIX shell reads from `line`: how the agent in the task splits ExecuteCommand's command. */
function shellWords(line: string): string[] {
  const printed = spawnSync('/bin/sh', ['-c', `for word in ${line}; do printf '%s\\0' "$word"; done`], { encoding: 'utf8' });
  assert.equal(printed.status, 0, printed.stderr);
  return printed.stdout.split('\0').slice(0, -1);
}

describe('commandLine', () => {
  it('leaves plain words as they are', () => {
    assert.equal(commandLine(['/bin/sh']), '/bin/sh');
    assert.equal(commandLine(['env', 'A=1', 'user@host:/tmp/a,b.c', '-x', '50%', 'a+b']), 'env A=1 user@host:/tmp/a,b.c -x 50% a+b');
  });

  it('single-quotes every other element, a quote inside as \'\\\'\'', () => {
    assert.equal(commandLine(['sh', '-c', 'echo "hi" && ls $HOME']), `sh -c 'echo "hi" && ls $HOME'`);
    assert.equal(commandLine(['echo', "it's", '']), `echo 'it'\\''s' ''`);
  });

  it('gives back exactly the argv when a shell splits the line, whatever the elements hold', () => {
    const argv = ['sh', '-c', 'echo "$1" && exit 3', '', "it's", 'a  b', '*', '~', '$(id)', '`id`', 'back\\slash', 'tab\there', 'new\nline', '#', ';', '|', 'é ü'];

    assert.deepEqual(shellWords(commandLine(argv)), argv);
  });
});

describe('EcsTaskRunner.execCommand', () => {
  const ecsMock = mockClient(ECSClient);
  const runner = new EcsTaskRunner({ client: new ECSClient({ region: REGION }), settings, logger: silentLogger });

  beforeEach(() => {
    ecsMock.reset();
  });

  function executeCommandInputs() {
    return ecsMock.commandCalls(ExecuteCommandCommand).map((call) => call.args[0].input);
  }

  it("opens an interactive session in the profile's watched container of the task, in the task's cluster", async () => {
    // Prepare
    ecsMock.on(ExecuteCommandCommand).resolves(executeCommandResponse());

    // Act
    const session = await runner.execCommand(anExec({ command: ['sh', '-c', 'ps aux | grep "[n]ode"'] }));

    // Assess
    assert.deepEqual(executeCommandInputs(), [
      { cluster: CLUSTER, task: TASK_ARN, container: 'job', interactive: true, command: `sh -c 'ps aux | grep "[n]ode"'` },
    ]);
    assert.deepEqual(session, {
      sessionId: SESSION_ID,
      streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/${SESSION_ID}?role=publish_subscribe`,
      tokenValue: 'AAEAAc2Ve7q0kN2tXg9l9D3w…',
      target: `ecs:${CLUSTER}_${TASK_ID}_${RUNTIME_ID}`,
      region: REGION,
    });
  });

  it("refuses an exec without the container's runtime id, without calling ECS: the session's target needs it", async () => {
    // Act
    const execing = runner.execCommand(anExec({ runtimeId: undefined }));

    // Assess
    await assert.rejects(execing, /runtime id/);
    assert.equal(executeCommandInputs().length, 0);
  });

  it('refuses a task ARN that names no cluster, and a profile it has no settings for, without calling ECS', async () => {
    await assert.rejects(runner.execCommand(anExec({ taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${TASK_ID}` })), /not an ECS task ARN/);
    await assert.rejects(runner.execCommand(anExec({ profile: 'no-such-profile' })), /no-such-profile/);
    assert.equal(executeCommandInputs().length, 0);
  });

  it("answers EXEC_NOT_READY with Retry-After 2 s while the agent is not connected (TargetNotConnectedException)", async () => {
    // Prepare
    const notConnected = new TargetNotConnectedException({ $metadata: { httpStatusCode: 400 }, message: 'The execute command failed due to an internal error. Try again later.' });
    ecsMock.on(ExecuteCommandCommand).rejects(notConnected);

    // Act
    const execing = runner.execCommand(anExec());

    // Assess
    await assert.rejects(execing, (error: unknown) => {
      assert.ok(error instanceof ExecRefusedError);
      assert.equal(error.code, 'EXEC_NOT_READY');
      assert.equal(error.retryAfterSeconds, 2);
      return true;
    });
  });

  it('answers EXEC_NOT_ALLOWED for a task started without ECS Exec', async () => {
    // Prepare
    const message =
      "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again.";
    ecsMock.on(ExecuteCommandCommand).rejects(new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message }));

    // Act
    const execing = runner.execCommand(anExec());

    // Assess
    await assert.rejects(execing, (error: unknown) => {
      assert.ok(error instanceof ExecRefusedError);
      assert.equal(error.code, 'EXEC_NOT_ALLOWED');
      assert.match(error.message, /started without ECS Exec/);
      return true;
    });
  });

  it("throws 'TaskRunnerThrottled' when ECS throttles ExecuteCommand", async () => {
    // Prepare
    const throttled = new ECSServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
    ecsMock.on(ExecuteCommandCommand).rejects(throttled);

    // Act + Assess
    await assert.rejects(runner.execCommand(anExec()), { name: 'TaskRunnerThrottled' });
  });

  it("passes on any other error as it is (the runner's own trouble: a 500), such as its own permissions", async () => {
    // Prepare
    const denied = new AccessDeniedException({
      $metadata: { httpStatusCode: 400 },
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/x/y is not authorized to perform: ecs:ExecuteCommand on resource: ${TASK_ARN}`,
    });
    const otherParameter = new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'The referenced task was not found.' });
    ecsMock.on(ExecuteCommandCommand).rejectsOnce(denied).rejectsOnce(otherParameter);

    // Act + Assess
    await assert.rejects(runner.execCommand(anExec()), { name: 'AccessDeniedException' });
    await assert.rejects(runner.execCommand(anExec()), { name: 'InvalidParameterException' });
  });

  it('fails, rather than hand out half a session, when ECS answers none', async () => {
    // Prepare
    ecsMock.on(ExecuteCommandCommand).resolves({ ...executeCommandResponse(), session: undefined });

    // Act + Assess
    await assert.rejects(runner.execCommand(anExec()), /no session/);
  });
});
