/**
 * ECS's "ECS Task State Change" events (EventBridge) as the domain's TaskStateChange: the same
 * reading of a task as DescribeTasks gets (snapshotOf), from the event's JSON, where times are
 * strings. The job is the task's `startedBy` (RunTask sets it to the job id).
 */
import type { Task } from '@aws-sdk/client-ecs';
import type { EventBridgeEvent } from 'aws-lambda';
import { isJobId } from '#lib/domain/ids.ts';
import type { TaskStateChange } from '#lib/domain/task-events.ts';
import { eniOf, snapshotOf } from './ecs-task-runner.ts';

export const TASK_STATE_CHANGE = 'ECS Task State Change';

/** The event's detail: an ECS Task, its times as ISO strings. */
export type EcsTaskStateDetail = Omit<Task, 'createdAt' | 'startedAt' | 'stoppedAt' | 'stoppingAt' | 'pullStartedAt' | 'pullStoppedAt' | 'connectivityAt' | 'executionStoppedAt'> & {
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  stoppingAt?: string;
  pullStartedAt?: string;
  pullStoppedAt?: string;
  connectivityAt?: string;
  executionStoppedAt?: string;
  updatedAt?: string;
};

export type EcsTaskStateChangeEvent = EventBridgeEvent<typeof TASK_STATE_CHANGE, EcsTaskStateDetail>;

/** The change the event tells, or undefined for an event about no job of ours (or no task change at all). */
export function taskStateChangeOf(event: EcsTaskStateChangeEvent): TaskStateChange | undefined {
  const { detail } = event;
  if (event['detail-type'] !== TASK_STATE_CHANGE || !detail?.taskArn || typeof detail.version !== 'number') return undefined;
  const jobId = detail.startedBy;
  if (!jobId || !isJobId(jobId)) return undefined;
  const task: Task = {
    ...detail,
    ...dates(detail, ['startedAt', 'stoppedAt', 'createdAt']),
  } as Task;
  const eni = eniOf(task);
  return { ...snapshotOf(detail.taskArn, task, eni), jobId, version: detail.version };
}

function dates(detail: EcsTaskStateDetail, names: Array<'startedAt' | 'stoppedAt' | 'createdAt'>): Partial<Record<'startedAt' | 'stoppedAt' | 'createdAt', Date>> {
  return Object.fromEntries(names.flatMap((name) => (detail[name] ? [[name, new Date(detail[name])]] : [])));
}
