import * as awsPorts from '#lib/composition/aws.ts';
import { schedulesHandler } from '#lib/http/schedules.ts';

export const handler = schedulesHandler(awsPorts.schedules());
