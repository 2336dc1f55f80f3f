import * as awsPorts from '#lib/composition/aws.ts';
import { listJobsHandler } from '#lib/http/list-jobs.ts';

export const handler = listJobsHandler(awsPorts.listJobs());
