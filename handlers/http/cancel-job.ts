import * as awsPorts from '#lib/composition/aws.ts';
import { cancelJobHandler } from '#lib/http/cancel-job.ts';

export const handler = cancelJobHandler(awsPorts.cancelJob());
