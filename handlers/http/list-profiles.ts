import * as awsPorts from '#lib/composition/aws.ts';
import { listProfilesHandler } from '#lib/http/list-profiles.ts';

export const handler = listProfilesHandler(awsPorts.listProfiles());
