/**
 * The web console's static files: `GET /` answers its index.html, `GET /assets/{file}` the hashed
 * script, style sheet and icon it references (lib/console/build-assets.ts builds them). Public, like
 * /health: the page holds no data, it asks the API with the token the user gives it. The same
 * handler serves them locally (assets built when `npm start` starts) and on a stage (assets built into
 * the console function's bundle at `serverless package`).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { answerFor, errorBody, json, type HttpResponse } from './responses.ts';

export interface ConsoleAsset {
  /** Text: every console file is HTML, JavaScript, CSS or SVG. */
  body: string;
  contentType: string;
}

export interface ConsoleAssets {
  index: ConsoleAsset;
  /** By file name, `<base>-<content hash>.<ext>`: the names index.html references under /assets/. */
  files: ReadonlyMap<string, ConsoleAsset>;
}

/** Where index.html finds the hashed files (the route `GET /assets/{file}`). */
export const ASSETS_PATH = '/assets/';

/**
 * The console's own files only, nothing inline and nothing from elsewhere; the page may call the
 * API of its own origin (connect-src) and cannot be framed (clickjacking).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** On every answer of the console's routes, its 404s included. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** index.html is asked again each time (a deploy changes the hashed names it references)… */
const INDEX_CACHE_CONTROL = 'no-cache';
/** …and a hashed file never changes under its name. */
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

type ConsoleEvent = Pick<APIGatewayProxyEventV2, 'requestContext' | 'pathParameters'>;

/** GET and HEAD on `/` and `/assets/{file}`: a route with a `file` parameter asks for an asset. */
export function consoleHandler(assets: ConsoleAssets) {
  return async (event: ConsoleEvent): Promise<HttpResponse> => {
    const file = event.pathParameters?.file;
    return answerFor(event.requestContext?.http?.method, file === undefined ? indexAnswer(assets.index) : assetAnswer(assets.files.get(file)));
  };
}

function indexAnswer(index: ConsoleAsset): HttpResponse {
  return fileAnswer(index, INDEX_CACHE_CONTROL);
}

function assetAnswer(asset: ConsoleAsset | undefined): HttpResponse {
  if (asset === undefined) {
    // An open page of an earlier deployment asks for files that are gone: loading the console again fixes it.
    const notFound = json(404, errorBody('ASSET_NOT_FOUND', 'no such console file; load the console again from /'));
    return { ...notFound, headers: { ...notFound.headers, 'cache-control': INDEX_CACHE_CONTROL, ...CONSOLE_SECURITY_HEADERS } };
  }
  return fileAnswer(asset, ASSET_CACHE_CONTROL);
}

function fileAnswer(asset: ConsoleAsset, cacheControl: string): HttpResponse {
  return {
    statusCode: 200,
    headers: { 'content-type': asset.contentType, 'cache-control': cacheControl, ...CONSOLE_SECURITY_HEADERS },
    body: asset.body,
  };
}
