import * as awsPorts from '#lib/composition/aws.ts';
import { finalizeJobStep } from '#lib/workflow/finalize-job.ts';

export const handler = finalizeJobStep(awsPorts.finalizeJob());
