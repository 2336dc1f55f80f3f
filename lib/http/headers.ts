import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** A header's value whatever its case (API Gateway passes them as the client sent them). */
export function header(event: { headers?: APIGatewayProxyEventV2['headers'] | undefined }, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return entry?.[1];
}
