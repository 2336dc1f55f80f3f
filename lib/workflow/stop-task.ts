/** StopTask: stops a task whose job ran past timeoutSeconds, or that never got past provisioning. */
import { workflowStopReason } from '#lib/domain/classify-stop.ts';
import { PROVISIONING_TIMEOUT_SECONDS, SAFETY_NET_SECONDS } from '#lib/domain/polling.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { withLogKeys } from '#lib/logger.ts';
import { requireTaskArn, type WorkflowState } from './workflow-state.ts';

export type StopTaskPorts = Pick<Dependencies, 'taskRunner' | 'logger'>;

export function stopTaskStep(ports: StopTaskPorts) {
  return (state: WorkflowState): Promise<WorkflowState> =>
    withLogKeys({ jobId: state.jobId }, async () => {
      const reason =
        state.stopRequest === 'PROVISIONING_TIMEOUT'
          ? workflowStopReason('PROVISIONING_TIMEOUT', PROVISIONING_TIMEOUT_SECONDS)
          : workflowStopReason('TIMEOUT', state.timeoutSeconds);
      await ports.taskRunner.stopTask(requireTaskArn(state), reason);
      ports.logger.info('stopped task past its deadline', { reason });
      // Now its STOPPED event is what the workflow waits for.
      return { ...state, stopNeeded: false, waitSeconds: SAFETY_NET_SECONDS };
    });
}
