/**
 * The Step Functions workflow: one execution per job, named after it, and a second start of the
 * same job (a replay) counted as started.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExecutionAlreadyExists, SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { StepFunctionsWorkflow } from '#lib/adapters/aws/sfn-workflow.ts';

const sfn = mockClient(SFNClient);

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:fargate-jobs-dev-run-job';
const JOB_ID = 'job_01JB8ZQ4W2X7Y5V3T1R9P6N4M2';

describe('StepFunctionsWorkflow', () => {
  let workflow: StepFunctionsWorkflow;

  beforeEach(() => {
    sfn.reset();
    workflow = new StepFunctionsWorkflow({ client: new SFNClient({ region: 'eu-west-1' }), stateMachineArn: STATE_MACHINE_ARN });
  });

  it('starts one execution of the state machine named after the job, with the job id as input', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:fargate-jobs-dev-run-job:${JOB_ID}`,
      startDate: new Date('2030-01-01T12:00:00Z'),
    });

    // Act
    await workflow.start(JOB_ID);

    // Assess
    const calls = sfn.commandCalls(StartExecutionCommand);
    assert.equal(calls.length, 1);
    const input = calls[0]?.args[0].input;
    assert.equal(input?.stateMachineArn, STATE_MACHINE_ARN);
    assert.equal(input?.name, JOB_ID);
    assert.deepEqual(JSON.parse(input?.input ?? 'null'), { jobId: JOB_ID });
  });

  it("carries the job's secret values to StartTask in the execution input", async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution', startDate: new Date('2030-01-01T12:00:00Z') });

    // Act
    await workflow.start(JOB_ID, { API_TOKEN: 's3cr3t' });

    // Assess
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    assert.deepEqual(JSON.parse(input?.input ?? 'null'), { jobId: JOB_ID, secretEnv: { API_TOKEN: 's3cr3t' } });
  });

  it('counts an execution that already exists for the job as started', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(
      new ExecutionAlreadyExists({
        message: `Execution Already Exists: 'arn:aws:states:eu-west-1:123456789012:execution:fargate-jobs-dev-run-job:${JOB_ID}'`,
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const starting = workflow.start(JOB_ID);

    // Assess
    await assert.doesNotReject(starting);
  });

  it('fails when Step Functions refuses to start the execution', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(
      new SFNServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: `User is not authorized to perform: states:StartExecution on resource: ${STATE_MACHINE_ARN}`,
      }),
    );

    // Act
    const starting = workflow.start(JOB_ID);

    // Assess
    await assert.rejects(starting, { name: 'AccessDeniedException' });
  });
});
