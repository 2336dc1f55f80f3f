import * as awsPorts from '#lib/composition/aws.ts';
import { getCostsHandler } from '#lib/http/get-costs.ts';

export const handler = getCostsHandler(awsPorts.getCosts());
