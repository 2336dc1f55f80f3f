import * as awsPorts from '#lib/composition/aws.ts';
import { awaitTaskStep } from '#lib/workflow/await-task.ts';

export const handler = awaitTaskStep(awsPorts.awaitTask());
