import * as awsPorts from '#lib/composition/aws.ts';
import { pollTaskStep } from '#lib/workflow/poll-task.ts';

export const handler = pollTaskStep(awsPorts.pollTask());
