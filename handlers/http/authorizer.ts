/**
 * The HTTP API's Lambda authorizer (simple responses, payload 2.0): looks the bearer token's SHA-256
 * up in the table and tells the handlers who the caller is, or why there is none (see
 * lib/http/authorization.ts for why it never answers `isAuthorized: false`). API Gateway caches the
 * answer per Authorization header for a short while (serverless.yml), so a revoked token stops
 * working within that time.
 */
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { awsLogger, awsTokenStore } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { TokenService } from '#lib/domain/tokens.ts';
import { authorizerResponse } from '#lib/http/authorization.ts';
import { header } from '#lib/http/headers.ts';

const dependencies = wire({ tokens: awsTokenStore, logger: awsLogger });

export const handler = async (event: APIGatewayRequestAuthorizerEventV2) => {
  const tokens = new TokenService({ store: dependencies.tokens });
  const authentication = await tokens.authenticate(header(event, 'authorization'));
  if (!authentication.authenticated && authentication.failure !== 'MISSING') {
    dependencies.logger.warn('request not authenticated', {
      failure: authentication.failure,
      route: event.routeKey,
      sourceIp: event.requestContext.http.sourceIp,
    });
  }
  return authorizerResponse(authentication);
};
