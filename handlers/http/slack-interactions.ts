import * as awsPorts from '#lib/composition/aws.ts';
import { slackInteractionsHandler } from '#lib/http/slack-interactions.ts';

export const handler = slackInteractionsHandler(awsPorts.slackRoutes());
