/**
 * OPTIONS on any path of the API, for the Lambda of those routes and for local mode alike: 204 with
 * the path's methods in `Allow`, and no body. Public (a CORS preflight sends no token) and without
 * ports: what it tells is in lib/http/routes.ts, which anyone may read in docs/openapi.yaml.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { methodsOf } from './routes.ts';
import { errorBody, json, type HttpResponse } from './responses.ts';

/** The route key names the path template (`OPTIONS /jobs/{id}`): the path itself holds an id. */
export const optionsHandler = async (event: Pick<APIGatewayProxyEventV2, 'routeKey' | 'rawPath'>): Promise<HttpResponse> => {
  const template = event.routeKey.replace(/^OPTIONS /, '');
  const methods = methodsOf(template);
  if (methods.length === 0) return json(404, errorBody('ROUTE_NOT_FOUND', `no route for ${event.rawPath}`));
  return { statusCode: 204, headers: { allow: methods.join(', ') }, body: '' };
};
