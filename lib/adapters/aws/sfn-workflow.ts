/**
 * The Workflow port on AWS: one Step Functions execution of the run-job state machine per job, named
 * after the job so that Step Functions itself refuses a second run of the same job.
 */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
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

  async start(jobId: string): Promise<void> {
    try {
      await this.#client.send(
        new StartExecutionCommand({ stateMachineArn: this.#stateMachineArn, name: jobId, input: JSON.stringify({ jobId }) }),
      );
    } catch (error) {
      // The input is derived from the name, so this is never a different job under the same name:
      // an execution for this job already exists (a replay or a retry), and it is the job's run.
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  }
}
