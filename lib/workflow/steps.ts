/**
 * The steps of `statemachine/run-job.asl.json`, one per Task state: on AWS each is its own Lambda
 * (handlers/steps/), locally the workflow engine calls them all in-process.
 */
import type { Dependencies, Workflow } from '#lib/domain/ports.ts';
import { awaitTaskStep } from './await-task.ts';
import type { TaskStateName } from './definition.ts';
import { finalizeJobStep } from './finalize-job.ts';
import { markFailedStep } from './mark-failed.ts';
import { notifyFinishedStep } from './notify-finished.ts';
import { pollTaskStep } from './poll-task.ts';
import { startTaskStep } from './start-task.ts';
import { stopTaskStep } from './stop-task.ts';

export interface Steps {
  StartTask: ReturnType<typeof startTaskStep>;
  AwaitTask: ReturnType<typeof awaitTaskStep>;
  PollTask: ReturnType<typeof pollTaskStep>;
  StopTask: ReturnType<typeof stopTaskStep>;
  FinalizeJob: ReturnType<typeof finalizeJobStep>;
  MarkFailed: ReturnType<typeof markFailedStep>;
  NotifyFinished: ReturnType<typeof notifyFinishedStep>;
}

export type StepPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'logReader' | 'profiles' | 'notifier' | 'logger' | 'now' | 'logArchiver'> & { workflow: Pick<Workflow, 'wake'> };

export function workflowSteps(ports: StepPorts): Steps {
  return {
    StartTask: startTaskStep(ports),
    AwaitTask: awaitTaskStep(ports),
    PollTask: pollTaskStep(ports),
    StopTask: stopTaskStep(ports),
    FinalizeJob: finalizeJobStep(ports),
    MarkFailed: markFailedStep(ports),
    NotifyFinished: notifyFinishedStep(ports),
  } satisfies Record<TaskStateName, unknown>;
}
