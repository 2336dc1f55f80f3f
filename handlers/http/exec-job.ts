import * as awsPorts from '#lib/composition/aws.ts';
import { execJobHandler } from '#lib/http/exec-job.ts';

export const handler = execJobHandler(awsPorts.execJob());
