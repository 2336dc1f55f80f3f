import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { answerFor, json, type HttpResponse } from './responses.ts';

/** GET (and HEAD) /health: no auth and no ports, so no factory; answers as long as the function can run. */
export const healthHandler = async (event?: Pick<APIGatewayProxyEventV2, 'requestContext'>): Promise<HttpResponse> =>
  answerFor(event?.requestContext?.http?.method, json(200, { status: 'ok' }));
