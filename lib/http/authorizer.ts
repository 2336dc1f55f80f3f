/**
 * The HTTP API's Lambda authorizer (simple responses, payload 2.0): looks the bearer token's SHA-256
 * up in the table and tells the handlers who the caller is, or why there is none (see
 * authorization.ts for why it never answers `isAuthorized: false`). API Gateway caches the answer
 * per Authorization header for a short while (serverless.yml), so a revoked token stops working
 * within that time. Local mode asks the same handler about each request.
 */
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import type { Dependencies } from '#lib/domain/ports.ts';
import { TokenService } from '#lib/domain/tokens.ts';
import { authorizerResponse } from './authorization.ts';
import { header } from './headers.ts';

export function authorizerHandler(ports: Pick<Dependencies, 'tokens' | 'logger'>) {
  const tokens = new TokenService({ store: ports.tokens });
  return async (event: APIGatewayRequestAuthorizerEventV2) => {
    const authentication = await tokens.authenticate(header(event, 'authorization'));
    if (!authentication.authenticated && authentication.failure !== 'MISSING') {
      ports.logger.warn('request not authenticated', {
        failure: authentication.failure,
        route: event.routeKey,
        sourceIp: event.requestContext.http.sourceIp,
      });
    }
    return authorizerResponse(authentication);
  };
}
