import * as awsPorts from '#lib/composition/aws.ts';
import { getJobLogsHandler } from '#lib/http/get-job-logs.ts';

export const handler = getJobLogsHandler(awsPorts.getJobLogs());
