/** MarkFailed: after a step error, stops the task if there is one and marks the job FAILED (INTERNAL). */
import { clockOf, type Dependencies } from '#lib/domain/ports.ts';
import { withLogKeys } from '#lib/logger.ts';
import { type FailedWorkflowState, type FinalizeResult } from './workflow-state.ts';

export type MarkFailedPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'logger' | 'now'>;

export function markFailedStep(ports: MarkFailedPorts) {
  const now = clockOf(ports);
  return (state: FailedWorkflowState): Promise<FinalizeResult> =>
    withLogKeys({ jobId: state.jobId }, async () => {
      ports.logger.error('workflow step failed', { error: state.error });
      if (state.taskArn) {
        await ports.taskRunner.stopTask(state.taskArn, 'fargate-jobs: internal error').catch((error: unknown) => {
          ports.logger.warn('could not stop the task after an internal error', { error });
        });
      }
      const stoppedAt = now().toISOString();
      const { job } = await ports.store.transitionOrUpdate(
        state.jobId,
        'FAILED',
        { failure: { category: 'INTERNAL', message: `the job runner hit an internal error (${state.error?.Error ?? 'unknown'})` }, stoppedAt },
        // Already terminal (e.g. cancelled) but never finalized: it has stopped now.
        (current) => (current.stoppedAt === undefined ? { stoppedAt } : {}),
      );
      return { jobId: job.id, status: job.status, exitCode: job.exitCode };
    });
}
