import * as awsPorts from '#lib/composition/aws.ts';
import { stopTaskStep } from '#lib/workflow/stop-task.ts';

export const handler = stopTaskStep(awsPorts.stopTask());
