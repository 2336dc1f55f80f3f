import * as awsPorts from '#lib/composition/aws.ts';
import { notifyFinishedStep } from '#lib/workflow/notify-finished.ts';

export const handler = notifyFinishedStep(awsPorts.notifyFinished());
