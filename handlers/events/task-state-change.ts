import * as awsPorts from '#lib/composition/aws.ts';
import { taskStateChangeHandler } from '#lib/workflow/task-state-change.ts';

export const handler = taskStateChangeHandler(awsPorts.taskStateChange());
