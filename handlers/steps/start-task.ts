import * as awsPorts from '#lib/composition/aws.ts';
import { startTaskStep } from '#lib/workflow/start-task.ts';

export const handler = startTaskStep(awsPorts.startTask());
