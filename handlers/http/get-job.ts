import * as awsPorts from '#lib/composition/aws.ts';
import { getJobHandler } from '#lib/http/get-job.ts';

export const handler = getJobHandler(awsPorts.getJob());
