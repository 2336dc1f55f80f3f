/**
 * Secret env values are kept out of the job record, but they must reach the task: in the workflow's
 * execution input and in the task's container overrides. Whoever can read those can read the
 * secrets, so docs/security.md must name them, and point to task-definition secrets instead.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { StepFunctionsWorkflow } from '#lib/adapters/aws/sfn-workflow.ts';

/** docs/security.md, the guide the README links as "Security". */
function securitySection(): string {
  const guide = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
  assert.ok(guide.startsWith('# Security\n'), 'docs/security.md is the Security guide');
  return guide;
}

describe('docs/security.md on secrets sent in env', () => {
  it('names the readers of the execution input, which carries the secret values', async () => {
    // Prepare
    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:run-job:job', startDate: new Date() });
    const workflow = new StepFunctionsWorkflow({ client: new SFNClient({ region: 'eu-west-1' }), stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:run-job' });

    // Act
    await workflow.start('job_01JB8ZQ4W2X7Y5V3T1R9P6N4M2', { DEPLOY_TOKEN: 'hunter2' });
    sfn.restore();

    // Assess
    assert.match(String(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input), /hunter2/, 'the value travels in the execution input');
    const section = securitySection();
    for (const reader of ['states:GetExecutionHistory', 'ReadOnlyAccess']) assert.ok(section.includes(reader), `docs/security.md names ${reader}`);
  });

  it("names the readers of the task's overrides and recommends task-definition secrets for real ones", () => {
    // Act
    const section = securitySection();

    // Assess
    for (const reader of ['ecs:DescribeTasks', 'ECS Task State Change', 'CloudTrail', 'task definition\'s `secrets`']) {
      assert.ok(section.includes(reader), `docs/security.md names ${reader}`);
    }
  });
});
