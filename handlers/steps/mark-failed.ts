import * as awsPorts from '#lib/composition/aws.ts';
import { markFailedStep } from '#lib/workflow/mark-failed.ts';

export const handler = markFailedStep(awsPorts.markFailed());
