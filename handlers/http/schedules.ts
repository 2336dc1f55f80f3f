import * as awsPorts from '#lib/composition/aws.ts';
import { schedulesHandler } from '#lib/http/temporary-schedules-stub.ts';

export const handler = schedulesHandler(awsPorts.schedules());
