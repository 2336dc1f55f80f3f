import * as awsPorts from '#lib/composition/aws.ts';
import { slackCommandsHandler } from '#lib/http/slack-commands.ts';

export const handler = slackCommandsHandler(awsPorts.slackRoutes());
