/**
 * AwaitTask: the execution waits (`.waitForTaskToken`) for its task's next state change, or until
 * `waitSeconds` (the nearest deadline, at most the safety net) passes and PollTask looks itself. This
 * step stores the token and the state the execution waits in on the job record; the event handler
 * wakes it with them. An event recorded before the token was stored is seen here, in the record the
 * write returns, and wakes the execution at once.
 */
import { clockOf, type Dependencies, type Workflow } from '#lib/domain/ports.ts';
import { withLogKeys } from '#lib/logger.ts';
import { wakeFor } from './wake.ts';
import type { WorkflowState } from './workflow-state.ts';

/** Only the workflow's `wake`: locally the steps are built before the workflow that runs them. */
export type AwaitTaskPorts = Pick<Dependencies, 'store' | 'logger' | 'now'> & { workflow: Pick<Workflow, 'wake'> };

export interface AwaitTaskInput {
  state: WorkflowState;
  taskToken: string;
}

export function awaitTaskStep(ports: AwaitTaskPorts) {
  const now = clockOf(ports);
  return (input: AwaitTaskInput): Promise<void> =>
    withLogKeys({ jobId: input.state.jobId }, async () => {
      const { state, taskToken } = input;
      const job = await ports.store.update(state.jobId, { waitToken: taskToken, waitState: { ...state } });
      const next = wakeFor(job, state, now());
      if (next) await ports.workflow.wake(taskToken, next);
    });
}
