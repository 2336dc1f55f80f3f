/**
 * The Notifier of a deployment or of local mode: the Slack thread of a job submitted from Slack
 * and the job's webhook, side by side. Secrets are read when first needed (on AWS from Secrets
 * Manager), so a function that never notifies never reads them.
 */
import type { Logger } from '#lib/domain/logger.ts';
import type { Notifier } from '#lib/domain/ports.ts';
import { jobConsoleUrl, jobDocument, type JobDocument } from '#lib/http/job-document.ts';
import type { AllowedHost } from '#lib/notify/callback-url.ts';
import { combineNotifiers } from '#lib/notify/notifiers.ts';
import type { Resolver } from '#lib/notify/safe-post.ts';
import { slackNotifier } from '#lib/notify/slack-notifier.ts';
import { createSlackWebApi, type SlackWebApi } from '#lib/notify/slack-web-api.ts';
import { webhookNotifier } from '#lib/notify/webhook-notifier.ts';
import type { CostSettings } from '#lib/domain/cost.ts';

export interface NotifierSettings {
  /** FARGATE_JOBS_WEBHOOK_SECRET. */
  webhookSecret: () => Promise<string>;
  /** FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS. */
  allowHosts: readonly AllowedHost[];
  /** SLACK_BOT_TOKEN; undefined while it is not set. */
  slackBotToken: () => Promise<string | undefined>;
  /** SLACK_API_URL. */
  slackApiUrl: string;
  /** The API's base URL, for links to a job's page in the console; none when unknown. */
  apiUrl?: () => string | undefined;
  resolve?: Resolver;
  /** Where a failed webhook delivery's reason is logged. */
  logger?: Logger;
  /** How the stage prices its jobs: a finished job's webhook delivery carries its cost. */
  costs?: CostSettings;
}

export function notifierFor(settings: NotifierSettings): Notifier {
  return combineNotifiers([
    slackNotifier({
      api: botTokenApi(settings),
      consoleUrl: (job) => jobConsoleUrl(settings.apiUrl?.(), job),
    }),
    webhookNotifier({
      secret: settings.webhookSecret,
      allowHosts: settings.allowHosts,
      render: (job) => withConsoleLink(jobDocument(job, settings.costs), jobConsoleUrl(settings.apiUrl?.(), job)),
      ...(settings.resolve ? { resolve: settings.resolve } : {}),
      ...(settings.logger ? { logger: settings.logger } : {}),
    }),
  ]);
}

/** A Slack Web API client that reads the bot token on its first call, and refuses while none is set. */
export function botTokenApi(settings: Pick<NotifierSettings, 'slackBotToken' | 'slackApiUrl'>): SlackWebApi {
  let api: Promise<SlackWebApi> | undefined;
  const client = () => {
    api ??= settings.slackBotToken().then((botToken) => {
      if (!botToken) {
        api = undefined;
        throw new Error('SLACK_BOT_TOKEN is not set: nothing can be posted to Slack');
      }
      return createSlackWebApi({ botToken, apiUrl: settings.slackApiUrl });
    });
    return api;
  };
  return {
    postMessage: async (message) => (await client()).postMessage(message),
    update: async (message) => (await client()).update(message),
  };
}

/** A webhook's receiver is elsewhere: the job's console link, absolute where the API's URL is known. */
function withConsoleLink(document: JobDocument, consoleUrl: string | undefined): JobDocument {
  return consoleUrl === undefined ? document : { ...document, links: { ...document.links, console: consoleUrl } };
}
