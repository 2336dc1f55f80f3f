/**
 * Signed webhooks: the job document POSTed to the job's callbackUrl when it finishes (and when it
 * starts running, if it asked for `job.running`), signed as Stripe and Slack sign theirs:
 *
 *   Fargate-Jobs-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 *   Fargate-Jobs-Event: job.finished
 *   Fargate-Jobs-Delivery: <an id per delivery, the same across its retries>
 *
 * Sent through safePost (https only, no private or metadata address, no redirects, 5 s). A finished
 * job's delivery that fails asks to be retried (the workflow's NotifyFinished Retry); `job.running`
 * is tried once, since the job does not wait for it.
 *
 * The job's record says only "delivery failed" when no answer came (refused address, DNS failure,
 * connection error, timeout): told apart, they would let anyone who can submit a job map which
 * hosts and ports answer inside the network. The detail goes to the server log with the job id. An
 * HTTP status is kept, since only a real receiver gives one.
 */
import { createHash } from 'node:crypto';
import type { Job, JobEvent, NotificationAttempt } from '#lib/domain/job.ts';
import { silentLogger, type Logger } from '#lib/domain/logger.ts';
import { newAttempt, wasDelivered } from '#lib/domain/notifications.ts';
import type { Notifier, NotificationOutcome } from '#lib/domain/ports.ts';
import type { AllowedHost } from './callback-url.ts';
import { safePost, type Resolver } from './safe-post.ts';
import { signWebhook, WEBHOOK_DELIVERY_HEADER, WEBHOOK_EVENT_HEADER, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.ts';

export interface WebhookNotifierOptions {
  /** The deployment's webhook secret (FARGATE_JOBS_WEBHOOK_SECRET), read when first needed. */
  secret: () => Promise<string>;
  allowHosts: readonly AllowedHost[];
  /** The body: the job document as GET /jobs/{id} answers it. */
  render: (job: Job) => unknown;
  resolve?: Resolver;
  now?: () => Date;
  /** Where the reason of a failed delivery goes; the job's record keeps only DELIVERY_FAILED. */
  logger?: Logger;
}

/** The recorded error of a delivery that got no answer, whatever stopped it. */
export const DELIVERY_FAILED = 'delivery failed';

const NOTHING: NotificationOutcome = { attempts: [], retry: false };

export function webhookNotifier(options: WebhookNotifierOptions): Notifier {
  const now = options.now ?? (() => new Date());
  return {
    async notify(job, event) {
      if (!job.callbackUrl || !isSubscribed(job, event) || wasDelivered(job, 'webhook', event)) return NOTHING;
      const attempt = await deliver(options, job, event, now());
      return { attempts: [attempt], retry: !attempt.delivered && event === 'job.finished' };
    },
  };
}

function isSubscribed(job: Job, event: JobEvent): boolean {
  return event === 'job.finished' || (event === 'job.running' && (job.callbackEvents ?? []).includes('job.running'));
}

async function deliver(options: WebhookNotifierOptions, job: Job, event: JobEvent, at: Date): Promise<NotificationAttempt> {
  const deliveryId = deliveryIdOf(job, event);
  const recorded = { ...newAttempt(job, 'webhook', event, at), deliveryId };
  const body = JSON.stringify(options.render(job));
  try {
    const signature = signWebhook(await options.secret(), body, Math.floor(at.getTime() / 1000));
    const headers = { [WEBHOOK_SIGNATURE_HEADER]: signature, [WEBHOOK_EVENT_HEADER]: event, [WEBHOOK_DELIVERY_HEADER]: deliveryId };
    const { statusCode } = await safePost(new URL(job.callbackUrl ?? ''), body, headers, {
      allowHosts: options.allowHosts,
      ...(options.resolve ? { resolve: options.resolve } : {}),
    });
    const delivered = statusCode >= 200 && statusCode < 300;
    return { ...recorded, statusCode, delivered, ...(delivered ? {} : { error: `${DELIVERY_FAILED}: the receiver answered ${statusCode}` }) };
  } catch (error) {
    (options.logger ?? silentLogger).warn('a webhook delivery got no answer', {
      jobId: job.id,
      event,
      attempt: recorded.attempt,
      error: error instanceof Error ? error.message : String(error),
    });
    return { ...recorded, delivered: false, error: DELIVERY_FAILED };
  }
}

/** A UUID-shaped id derived from the job and event: unique per delivery, and the same for each of its retries. */
export function deliveryIdOf(job: Pick<Job, 'id'>, event: JobEvent): string {
  const hex = createHash('sha256').update(`${job.id}\n${event}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
