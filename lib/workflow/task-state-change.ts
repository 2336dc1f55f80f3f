/**
 * The task-state-change handler: records the change on the job (task-events.ts) and wakes the
 * execution waiting for it (AwaitTask's token) when the change is one it waits for. On AWS the
 * Lambda of the EventBridge rule on ECS's "ECS Task State Change"; locally the process runner's
 * changes come through the same function.
 */
import { clockOf, type Workflow } from '#lib/domain/ports.ts';
import { applyTaskStateChange, type TaskEventPorts, type TaskStateChange } from '#lib/domain/task-events.ts';
import { withLogKeys } from '#lib/logger.ts';
import { wakeWaiting } from './wake.ts';

export type TaskStateChangePorts = TaskEventPorts & { workflow: Pick<Workflow, 'wake'> };

export async function handleTaskStateChange(ports: TaskStateChangePorts, change: TaskStateChange): Promise<void> {
  await withLogKeys({ jobId: change.jobId }, async () => {
    const result = await applyTaskStateChange(ports, change);
    if (result.outcome !== 'applied') {
      ports.logger.debug('task state change not applied', { outcome: result.outcome, lastStatus: change.lastStatus, version: change.version });
      return;
    }
    await wakeWaiting(ports.workflow, result.job, clockOf(ports)());
  });
}

/** The Lambda: each event read by `readEvent` (undefined for one about no job of ours), then handled. */
export function taskStateChangeHandler<Event>(ports: TaskStateChangePorts & { readEvent: (event: Event) => TaskStateChange | undefined }) {
  return async (event: Event): Promise<void> => {
    const change = ports.readEvent(event);
    if (change) await handleTaskStateChange(ports, change);
  };
}
