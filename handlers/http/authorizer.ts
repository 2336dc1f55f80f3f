import * as awsPorts from '#lib/composition/aws.ts';
import { authorizerHandler } from '#lib/http/authorizer.ts';

export const handler = authorizerHandler(awsPorts.authorizer());
