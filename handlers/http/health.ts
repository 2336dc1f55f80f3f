import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { json } from '#lib/http/responses.ts';

/** No auth, no dependencies: answers as long as the function can run. */
export const handler = async (): Promise<APIGatewayProxyStructuredResultV2> => json(200, { status: 'ok' });
