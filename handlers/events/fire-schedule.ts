import * as awsPorts from '#lib/composition/aws.ts';
import { fireScheduleHandler } from '#lib/workflow/fire-schedule.ts';

export const handler = fireScheduleHandler(awsPorts.fireSchedule());
