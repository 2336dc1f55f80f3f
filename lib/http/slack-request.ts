/**
 * What both Slack routes do first: check Slack's signature over the exact bytes received (401 and
 * nothing else done when it fails) and read the form body.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Logger } from '#lib/domain/logger.ts';
import type { SlackApp } from '#lib/slack/app.ts';
import type { SlackMessage } from '#lib/slack/messages.ts';
import { decodeRequestBody, verifySlackSignature } from '#lib/slack/signature.ts';
import { errorBody, json, type HttpResponse } from './responses.ts';

export type SlackRequestCheck = { form: URLSearchParams } | { refusal: HttpResponse };

export async function verifiedSlackForm(event: APIGatewayProxyEventV2, app: Pick<SlackApp, 'signingSecret'>, logger: Logger, now: Date): Promise<SlackRequestCheck> {
  const rawBody = decodeRequestBody(event.body, event.isBase64Encoded);
  const signingSecret = (await app.signingSecret()) ?? '';
  const check = verifySlackSignature({
    signingSecret,
    timestamp: event.headers['x-slack-request-timestamp'],
    signature: event.headers['x-slack-signature'],
    rawBody,
    now,
  });
  if (!check.valid) {
    logger.warn('refused a Slack request', { reason: check.reason, route: event.routeKey });
    const message = signingSecret === '' ? 'Slack is not set up on this deployment (SLACK_SIGNING_SECRET)' : 'the request does not carry a valid Slack signature';
    return { refusal: json(401, errorBody('UNAUTHORIZED', message)) };
  }
  return { form: new URLSearchParams(rawBody.toString('utf8')) };
}

/** The answer to a slash command Slack shows only to the user who sent it. */
export function ephemeral(message: SlackMessage | string): HttpResponse {
  const body = typeof message === 'string' ? { text: message } : message;
  return json(200, { response_type: 'ephemeral', ...body });
}

/** A plain mrkdwn message. */
export function textMessage(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
