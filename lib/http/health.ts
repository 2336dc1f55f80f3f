import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { json } from './responses.ts';

/** GET /health: no auth and no ports, so no factory; answers as long as the function can run. */
export const healthHandler = async (): Promise<APIGatewayProxyStructuredResultV2> => json(200, { status: 'ok' });
