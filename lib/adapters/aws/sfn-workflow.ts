/** What SendTaskSuccess answers for a token no execution waits with any more: it woke already, or timed out. */
const SPENT_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * The Workflow port on AWS: one Step Functions execution of the run-job state machine per job, named
 * after the job so that Step Functions itself refuses a second run of the same job.
 */
import { SendTaskSuccessCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Workflow } from '#lib/domain/ports.ts';

export interface StepFunctionsWorkflowOptions {
  client: SFNClient;
  stateMachineArn: string;
}

export class StepFunctionsWorkflow implements Workflow {
  readonly #client: SFNClient;
  readonly #stateMachineArn: string;

  constructor(options: StepFunctionsWorkflowOptions) {
    this.#client = options.client;
    this.#stateMachineArn = options.stateMachineArn;
  }

  async start(jobId: string, secretEnv: Record<string, string> = {}): Promise<void> {
    // Secret values ride in the execution input (Step Functions keeps it in the execution's
    // history), never in the job record: docs/security.md says why task-definition secrets are better.
    const input = JSON.stringify({ jobId, ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}) });
    try {
      await this.#client.send(new StartExecutionCommand({ stateMachineArn: this.#stateMachineArn, name: jobId, input }));
    } catch (error) {
      // The input is derived from the job (an idempotent replay sends the same request), so this is
      // never a different job under the same name: an execution for this job already exists.
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  }

  async wake(taskToken: string, output: unknown): Promise<void> {
    try {
      await this.#client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (error) {
      if (error instanceof Error && SPENT_TOKEN_ERRORS.has(error.name)) return;
      throw error;
    }
  }
}
