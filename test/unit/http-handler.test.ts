import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Caller } from '#lib/domain/caller.ts';
import { ConflictError } from '#lib/domain/errors.ts';
import type { Logger } from '#lib/domain/logger.ts';
import { httpHandler, type HttpCore } from '#lib/http/http-handler.ts';
import { json } from '#lib/http/responses.ts';

/** The request context API Gateway passes on once the Lambda authorizer has vouched for `ci`. */
const AUTHENTICATED = { requestId: 'request-1', authorizer: { lambda: { caller: 'ci', profiles: 'default,build' } } };

function anEvent(overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /jobs',
    rawPath: '/jobs',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body: '{"command":["true"]}',
    isBase64Encoded: false,
    requestContext: AUTHENTICATED,
    ...overrides,
  } as APIGatewayProxyEventV2;
}

function recordingLogger(): Logger & { errors: Array<Record<string, unknown>> } {
  const errors: Array<Record<string, unknown>> = [];
  return {
    errors,
    debug() {},
    info() {},
    warn() {},
    error(_message, ...extra) {
      errors.push(Object.assign({}, ...extra));
    },
  };
}

/** A response header whatever the case of its name. */
function headerOf(response: { headers?: Record<string, unknown> | undefined }, name: string): unknown {
  return Object.entries(response.headers ?? {}).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
}

async function call(core: HttpCore, event: APIGatewayProxyEventV2, logger: Logger) {
  const handler = httpHandler(core, { jsonBody: true, logger });
  const response = await handler(event, {} as Context);
  return { ...response, json: JSON.parse(response.body ?? 'null') as unknown };
}

describe('httpHandler', () => {
  it('answers a client error with its status and the error shape', async () => {
    // Prepare
    const core: HttpCore = async () => {
      throw new ConflictError('JOB_ALREADY_FINISHED', "job 'x' has already finished");
    };

    // Act
    const response = await call(core, anEvent(), recordingLogger());

    // Assess
    assert.equal(response.statusCode, 409);
    assert.deepEqual(response.json, { error: { code: 'JOB_ALREADY_FINISHED', message: "job 'x' has already finished" } });
  });

  it('hides an internal error behind a generic 500 with the request id, and logs the detail', async () => {
    // Prepare
    const logger = recordingLogger();
    const core: HttpCore = async () => {
      throw new Error('connection to 10.0.0.7:8000 refused');
    };

    // Act
    const response = await call(core, anEvent(), logger);

    // Assess
    assert.equal(response.statusCode, 500);
    assert.deepEqual(response.json, {
      error: { code: 'INTERNAL', message: 'internal error; quote the request id when reporting it', requestId: 'request-1' },
    });
    assert.doesNotMatch(response.body ?? '', /10\.0\.0\.7/);
    assert.equal(logger.errors[0]?.requestId, 'request-1');
  });

  it('logs an internal error with the job id of the route, so the operator can find the job', async () => {
    // Prepare
    const logger = recordingLogger();
    const core: HttpCore = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const jobId = 'job-01m84akmnaeqaj52arcv95dzjd';

    // Act
    await call(core, anEvent({ routeKey: 'GET /jobs/{id}', pathParameters: { id: jobId } }), logger);

    // Assess
    assert.equal(logger.errors[0]?.jobId, jobId);
    assert.equal(logger.errors[0]?.requestId, 'request-1');
    assert.equal(logger.errors[0]?.route, 'GET /jobs/{id}');
  });

  it('still answers a clean 500, and says why on stderr, when the logger itself fails', async () => {
    // Prepare
    const core: HttpCore = async () => {
      throw new Error('no adapters configured');
    };
    const failingLogger: Logger = {
      ...recordingLogger(),
      error() {
        throw new Error('the log destination is gone');
      },
    };
    const originalConsoleError = console.error;
    const logged: string[] = [];
    console.error = (line: string) => logged.push(line);

    // Act
    let response;
    try {
      response = await call(core, anEvent(), failingLogger);
    } finally {
      console.error = originalConsoleError;
    }

    // Assess
    assert.equal(response.statusCode, 500);
    assert.equal((response.json as { error: { code: string } }).error.code, 'INTERNAL');
    assert.match(logged.join('\n'), /no adapters configured/);
  });

  it('answers malformed JSON with 400 INVALID_JSON and another content type with 415', async () => {
    // Prepare
    const core: HttpCore = async () => json(200, {});

    // Act
    const malformed = await call(core, anEvent({ body: '{"command":' }), recordingLogger());
    const wrongType = await call(core, anEvent({ headers: { 'content-type': 'text/plain' } }), recordingLogger());

    // Assess
    assert.equal(malformed.statusCode, 400);
    assert.equal((malformed.json as { error: { code: string } }).error.code, 'INVALID_JSON');
    assert.equal(wrongType.statusCode, 415);
    assert.equal((wrongType.json as { error: { code: string } }).error.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('hands the core the caller the authorizer vouched for', async () => {
    // Prepare
    const callers: Caller[] = [];
    const core: HttpCore = async (_event, caller) => {
      callers.push(caller);
      return json(200, {});
    };

    // Act
    const response = await call(core, anEvent(), recordingLogger());

    // Assess
    assert.equal(response.statusCode, 200);
    assert.deepEqual(callers, [{ name: 'ci', profiles: ['default', 'build'] }]);
  });

  it('answers a request without authorizer context 401 UNAUTHORIZED with WWW-Authenticate: Bearer, and never runs the core', async () => {
    // Prepare
    let coreRan = false;
    const core: HttpCore = async () => {
      coreRan = true;
      return json(200, {});
    };

    // Act
    const response = await call(core, anEvent({ requestContext: { requestId: 'request-1' } as APIGatewayProxyEventV2['requestContext'] }), recordingLogger());

    // Assess
    assert.equal(response.statusCode, 401);
    assert.equal(headerOf(response, 'WWW-Authenticate'), 'Bearer');
    assert.deepEqual(response.json, { error: { code: 'UNAUTHORIZED', message: 'send a token as "Authorization: Bearer <token>"' } });
    assert.equal(coreRan, false);
  });

  it('answers a request whose token the authorizer found revoked 401 UNAUTHORIZED, and never runs the core', async () => {
    // Prepare
    let coreRan = false;
    const core: HttpCore = async () => {
      coreRan = true;
      return json(200, {});
    };
    const revoked = { requestId: 'request-1', authorizer: { lambda: { failure: 'REVOKED' } } };

    // Act
    const response = await call(core, anEvent({ requestContext: revoked as unknown as APIGatewayProxyEventV2['requestContext'] }), recordingLogger());

    // Assess
    assert.equal(response.statusCode, 401);
    assert.equal(headerOf(response, 'WWW-Authenticate'), 'Bearer');
    assert.deepEqual(response.json, { error: { code: 'UNAUTHORIZED', message: 'the token is unknown or has been revoked' } });
    assert.equal(coreRan, false);
  });

  it('authenticates before reading the body: an unauthenticated request with malformed JSON or another content type gets 401', async () => {
    // Prepare
    const core: HttpCore = async () => json(200, {});
    const unauthenticated = { requestContext: { requestId: 'request-1' } as APIGatewayProxyEventV2['requestContext'] };

    // Act
    const malformed = await call(core, anEvent({ ...unauthenticated, body: '{"command":' }), recordingLogger());
    const wrongType = await call(core, anEvent({ ...unauthenticated, headers: { 'content-type': 'text/plain' } }), recordingLogger());

    // Assess
    assert.equal(malformed.statusCode, 401);
    assert.equal((malformed.json as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    assert.equal(wrongType.statusCode, 401);
    assert.equal((wrongType.json as { error: { code: string } }).error.code, 'UNAUTHORIZED');
  });

  it('does not ask for authentication on other errors', async () => {
    // Prepare
    const core: HttpCore = async () => {
      throw new ConflictError('JOB_ALREADY_FINISHED', "job 'x' has already finished");
    };

    // Act
    const conflict = await call(core, anEvent(), recordingLogger());
    const malformed = await call(async () => json(200, {}), anEvent({ body: '{"command":' }), recordingLogger());

    // Assess
    assert.equal(headerOf(conflict, 'WWW-Authenticate'), undefined);
    assert.equal(headerOf(malformed, 'WWW-Authenticate'), undefined);
  });

  it('answers a HEAD request as the GET, its Content-Length included, without the body; its errors too', async () => {
    // Prepare
    const core: HttpCore = async () => json(200, { id: 'job-1', status: 'RUNNING' }, { location: '/jobs/job-1' });
    const failing: HttpCore = async () => {
      throw new ConflictError('JOB_ALREADY_FINISHED', "job 'x' has already finished");
    };
    const request = (method: string) => anEvent({ requestContext: { ...AUTHENTICATED, http: { method } } as unknown as APIGatewayProxyEventV2['requestContext'] });
    const handler = (answer: HttpCore) => httpHandler(answer, { logger: recordingLogger() });

    // Act
    const get = await handler(core)(request('GET'), {} as Context);
    const head = await handler(core)(request('HEAD'), {} as Context);
    const headError = await handler(failing)(request('HEAD'), {} as Context);
    const getError = await handler(failing)(request('GET'), {} as Context);

    // Assess
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    assert.deepEqual(head.headers, { ...get.headers, 'content-length': String(Buffer.byteLength(get.body ?? '')) });
    assert.equal(headError.statusCode, 409);
    assert.equal(headError.body, '');
    assert.deepEqual(headError.headers, { ...getError.headers, 'content-length': String(Buffer.byteLength(getError.body ?? '')) });
    assert.equal(get.body, JSON.stringify({ id: 'job-1', status: 'RUNNING' }), 'a GET keeps its body');
  });

  it('answers an empty body "a JSON body is required" (400 INVALID_JSON), whatever its content type, and never runs the core', async () => {
    // Prepare
    let coreRan = false;
    const core: HttpCore = async () => {
      coreRan = true;
      return json(200, {});
    };

    // Act
    const answers = [
      await call(core, anEvent({ body: undefined }), recordingLogger()),
      await call(core, anEvent({ body: '' }), recordingLogger()),
      await call(core, anEvent({ body: ' \n' }), recordingLogger()),
      await call(core, anEvent({ body: '', isBase64Encoded: true }), recordingLogger()),
      await call(core, anEvent({ body: undefined, headers: {} }), recordingLogger()),
    ];

    // Assess
    for (const response of answers) {
      assert.equal(response.statusCode, 400);
      assert.deepEqual(response.json, { error: { code: 'INVALID_JSON', message: 'a JSON body is required' } });
      assert.equal(headerOf(response, 'content-type'), 'application/json; charset=utf-8');
    }
    assert.equal(coreRan, false);
  });

  it('refuses JSON nested too deeply as too deep (400 VALIDATION_FAILED), not as invalid JSON nor with a 500', async () => {
    // Prepare
    const core: HttpCore = async () => json(200, {});
    const logger = recordingLogger();
    const deepArray = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const deepInEnv = JSON.stringify({ command: ['true'], env: { A: JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) } });

    for (const body of [deepArray, deepInEnv]) {
      // Act
      const response = await call(core, anEvent({ body }), logger);

      // Assess
      assert.equal(response.statusCode, 400);
      const error = (response.json as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'VALIDATION_FAILED');
      assert.match(error.message, /nested too deeply: at most 32 levels/);
    }
    assert.deepEqual(logger.errors, []);
  });

  it('takes JSON as deep as 32 levels, and brackets inside strings as text', async () => {
    // Prepare
    let parsed: unknown;
    const core: HttpCore = async (event) => {
      parsed = event.body;
      return json(200, {});
    };
    const atLimit = `${'['.repeat(32)}"[[[[\\"{{{{"${']'.repeat(32)}`;

    // Act
    const response = await call(core, anEvent({ body: atLimit }), recordingLogger());

    // Assess
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(parsed, JSON.parse(atLimit));
  });
});
