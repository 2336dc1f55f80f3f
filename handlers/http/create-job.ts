import * as awsPorts from '#lib/composition/aws.ts';
import { createJobHandler } from '#lib/http/create-job.ts';

export const handler = createJobHandler(awsPorts.createJob());
