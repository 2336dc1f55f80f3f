/**
 * Keeps the three descriptions of the API in step: the routes the code serves (ROUTES and the
 * schemas), the document clients read (docs/openapi.yaml) and what gets deployed (serverless.yml,
 * wired to the run-job state machine). A route missing from the spec or the deployment, a field the
 * spec documents but the API refuses, or a step the state machine cannot reach fails here.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_SCHEMA, load, Type } from 'js-yaml';
import * as z from 'zod/mini';
import { FAILURE_CATEGORIES, JOB_STATUSES } from '#lib/domain/job.ts';
import { ConflictError, ExecRefusedError, ScheduleNotFoundError, TooManyActiveJobsError } from '#lib/domain/errors.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';
import { errorBody } from '#lib/http/responses.ts';
import { DEPLOYED_ROUTES, ROUTES } from '#lib/http/routes.ts';
import { createJobBody, createScheduleBody, execJobBody, getJobQuery, jobLogsQuery, listJobsQuery, updateScheduleBody } from '#lib/http/schemas.ts';
import { MAX_WAIT_SECONDS } from '#lib/domain/waiting.ts';

const ROOT = new URL('../../', import.meta.url);
const DEFINITION_FILE = 'statemachine/run-job.asl.json';

// ---------------------------------------------------------------------------------------------
// Reading the documents

type JsonSchema = { $ref?: string; [keyword: string]: unknown };
interface Parameter {
  name: string;
  in: string;
  schema?: JsonSchema;
}
interface Operation {
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { $ref?: string; description?: string; content?: Record<string, { schema: JsonSchema }> }>;
  security?: Array<Record<string, string[]>>;
}
interface OpenApiDocument {
  security?: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, Operation | Parameter[]>>;
  components: { schemas: Record<string, JsonSchema>; parameters?: Record<string, Parameter>; securitySchemes: Record<string, { type: string; scheme?: string }> };
}

type HttpApiEvent = string | { method: string; path: string };
interface ServerlessFunction {
  handler: string;
  events?: Array<{ httpApi?: HttpApiEvent; [other: string]: unknown }>;
}
interface ServerlessConfig {
  functions: Record<string, ServerlessFunction>;
  stepFunctions: { stateMachines: Record<string, { id?: string; definition: unknown }> };
  resources?: { extensions?: Record<string, { Properties?: { DefinitionSubstitutions?: Record<string, unknown> } }> };
}

interface AslDefinition {
  States: Record<string, { Type: string; Resource?: string; Parameters?: { FunctionName?: string } }>;
}

/** CloudFormation's short tags (`!GetAtt A.Arn`, `!Sub '…'`) read as the long form CloudFormation gets. */
const CLOUDFORMATION_SCHEMA = DEFAULT_SCHEMA.extend(
  ['Ref', 'GetAtt', 'Sub', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'And', 'Or', 'FindInMap', 'GetAZs', 'ImportValue', 'Base64', 'Cidr', 'Condition'].flatMap(
    (name) =>
      (['scalar', 'sequence', 'mapping'] as const).map(
        (kind) =>
          new Type(`!${name}`, {
            kind,
            construct: (data: unknown) => {
              if (name === 'Ref' || name === 'Condition') return { [name]: data };
              if (name === 'GetAtt' && typeof data === 'string') {
                const dot = data.indexOf('.');
                return { 'Fn::GetAtt': [data.slice(0, dot), data.slice(dot + 1)] };
              }
              return { [`Fn::${name}`]: data };
            },
          }),
      ),
  ),
);

function readText(path: string): string {
  return readFileSync(new URL(path, ROOT), 'utf8');
}

const spec = load(readText('docs/openapi.yaml')) as OpenApiDocument;
const deployment = load(readText('serverless.yml'), { schema: CLOUDFORMATION_SCHEMA }) as ServerlessConfig;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

function operations(): Array<{ key: string; operation: Operation }> {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation: operation as Operation })),
  );
}

function operation(key: string): Operation {
  const found = operations().find((candidate) => candidate.key === key);
  assert.ok(found, `docs/openapi.yaml has no operation ${key}`);
  return found.operation;
}

/** Follows a local `$ref` (keeping the keywords written beside it) until the node is not a reference. */
function resolve<T>(node: T): T {
  const reference = (node as { $ref?: unknown }).$ref;
  if (typeof reference !== 'string') return node;
  assert.match(reference, /^#\//, `only local references are expected, found ${reference}`);
  let target: unknown = spec;
  for (const segment of reference.slice(2).split('/')) {
    target = (target as Record<string, unknown> | undefined)?.[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  assert.ok(target !== undefined, `${reference} points at nothing`);
  const { $ref: _resolved, ...beside } = node as Record<string, unknown>;
  return { ...resolve(target as T), ...beside };
}

function queryParameterNames(key: string): string[] {
  const parameters = [
    ...((spec.paths[key.split(' ')[1] ?? '']?.parameters as Parameter[] | undefined) ?? []),
    ...(operation(key).parameters ?? []),
  ].map((parameter) => resolve(parameter as Parameter));
  return parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
}

/** The handler module name of a function, e.g. `handlers/http/create-job.handler` → `handlers/http/create-job`. */
function handlerModule(fn: ServerlessFunction): string {
  return fn.handler.replace(/\.handler$/, '');
}

function httpApiRoutes(): string[] {
  return Object.values(deployment.functions).flatMap((fn) =>
    (fn.events ?? [])
      .map((event) => event.httpApi)
      .filter((event) => event !== undefined)
      .map((event) => {
        const [method, path] = typeof event === 'string' ? event.split(' ') : [event.method, event.path];
        return `${String(method).toUpperCase()} ${path} → ${handlerModule(fn)}`;
      }),
  );
}

/** The CloudFormation logical id the framework gives a function's Lambda resource. */
function lambdaLogicalId(functionName: string): string {
  const normalized = functionName.charAt(0).toUpperCase() + functionName.slice(1).replaceAll('-', 'Dash').replaceAll('_', 'Underscore');
  return `${normalized}LambdaFunction`;
}

function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}

function sorted(values: Iterable<string>): string[] {
  return [...values].toSorted();
}

/**
 * The limits a JSON Schema states, flattened to `path → value` (`command.anyOf.0.items.maxLength → 8192`).
 * zod writes a positive integer as `exclusiveMinimum: 0` and every integer as a safe integer; the
 * spec says `minimum: 1` and leaves the safe-integer bound out, which is the same limit.
 */
const LIMIT_KEYWORDS = ['type', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'enum', 'const'];
const NESTED_KEYWORDS = ['items', 'propertyNames', 'additionalProperties'];

function limits(schema: JsonSchema, path: string, into: Record<string, unknown> = {}): Record<string, unknown> {
  const node = resolve(schema);
  for (const keyword of LIMIT_KEYWORDS) {
    if (node[keyword] !== undefined) into[`${path}.${keyword}`] = node[keyword];
  }
  if (node.type === 'integer') {
    if (node.exclusiveMinimum !== undefined) {
      into[`${path}.minimum`] = Number(node.exclusiveMinimum) + 1;
      delete into[`${path}.exclusiveMinimum`];
    }
    if (node.maximum === Number.MAX_SAFE_INTEGER) delete into[`${path}.maximum`];
    if (node.minimum === Number.MIN_SAFE_INTEGER) delete into[`${path}.minimum`];
  }
  for (const keyword of NESTED_KEYWORDS) {
    const nested = node[keyword];
    if (typeof nested === 'object' && nested !== null) limits(nested as JsonSchema, `${path}.${keyword}`, into);
  }
  for (const keyword of ['anyOf', 'oneOf']) {
    const alternatives = node[keyword];
    if (Array.isArray(alternatives)) {
      alternatives.forEach((alternative: JsonSchema, index) => limits(alternative, `${path}.anyOf.${index}`, into));
    }
  }
  return into;
}

// ---------------------------------------------------------------------------------------------
// The spec

describe('docs/openapi.yaml', () => {
  it('documents exactly the routes the API serves: ROUTES, a HEAD beside every GET, an OPTIONS on every path', () => {
    // Act
    const documented = operations().map(({ key }) => key);

    // Assess
    assert.deepEqual(sorted(documented), sorted(DEPLOYED_ROUTES.map((route) => `${route.method} ${route.path}`)));
  });

  it('documents each HEAD with the parameters and answers of its GET', () => {
    for (const route of DEPLOYED_ROUTES.filter((candidate) => candidate.method === 'HEAD')) {
      // Act
      const get = operation(`GET ${route.path}`);
      const head = operation(`HEAD ${route.path}`);

      // Assess
      assert.deepEqual(head.responses, get.responses, `HEAD ${route.path} answers as GET does`);
      assert.deepEqual(head.parameters, get.parameters, `HEAD ${route.path} takes GET's parameters`);
    }
  });

  it('asks for the bearer token on every route except the public ones', () => {
    // Prepare
    assert.deepEqual(spec.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' });

    for (const route of DEPLOYED_ROUTES) {
      // Act
      const security = operation(`${route.method} ${route.path}`).security ?? spec.security ?? [];

      // Assess
      if (route.public) {
        assert.deepEqual(security, [], `${route.method} ${route.path} is public but the spec asks for a token`);
      } else {
        assert.deepEqual(security, [{ bearerAuth: [] }], `${route.method} ${route.path} needs the bearer token`);
      }
    }
  });

  it('documents the request body with the fields, required fields and limits createJobBody enforces', () => {
    // Prepare
    const body = resolve(operation('POST /jobs').requestBody?.content['application/json']?.schema ?? {});
    const enforced = z.toJSONSchema(createJobBody, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const documentedProperties = body.properties as Record<string, JsonSchema>;
    const enforcedProperties = enforced.properties as Record<string, JsonSchema>;

    // Assess
    assert.deepEqual(sorted(Object.keys(documentedProperties)), sorted(Object.keys(createJobBody.shape)));
    assert.equal(body.additionalProperties, false, 'unknown fields are refused, so the spec must say so');
    assert.deepEqual(sorted((body.required as string[] | undefined) ?? []), sorted((enforced.required as string[] | undefined) ?? []));
    for (const [name, schema] of Object.entries(enforcedProperties)) {
      const documentedEnum = resolve(documentedProperties[name] ?? {}).enum;
      if (Array.isArray(documentedEnum)) {
        // A documented enum is narrower than the schema's bounds (the domain refuses the rest with its
        // own 400, e.g. INVALID_TASK_SIZE): each value must still pass them.
        const field = createJobBody.shape[name as keyof typeof createJobBody.shape];
        for (const value of documentedEnum) assert.ok(z.safeParse(field, value).success, `${name} ${String(value)} is documented but refused`);
        continue;
      }
      const expected = limits(schema, name);
      const documented = limits(documentedProperties[name] ?? {}, name);
      const comparable = Object.fromEntries(Object.keys(expected).map((path) => [path, documented[path]]));
      assert.deepEqual(comparable, expected, `the spec's limits for '${name}' differ from createJobBody's`);
    }
  });

  it('documents the exec request body with the fields and limits execJobBody enforces, and the session with exactly the five fields the handler answers', () => {
    // Prepare
    const body = resolve(operation('POST /jobs/{id}/exec').requestBody?.content['application/json']?.schema ?? {});
    const enforced = z.toJSONSchema(execJobBody, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const session = resolve(operation('POST /jobs/{id}/exec').responses['201']?.content?.['application/json']?.schema ?? {});

    // Assess
    assert.deepEqual(sorted(Object.keys(body.properties as object)), sorted(Object.keys(execJobBody.shape)));
    assert.equal(body.additionalProperties, false, 'unknown fields are refused, so the spec must say so');
    assert.deepEqual(sorted((body.required as string[] | undefined) ?? []), sorted((enforced.required as string[] | undefined) ?? []));
    const expected = limits((enforced.properties as Record<string, JsonSchema>).command ?? {}, 'command');
    const documented = limits((body.properties as Record<string, JsonSchema>).command ?? {}, 'command');
    assert.deepEqual(Object.fromEntries(Object.keys(expected).map((path) => [path, documented[path]])), expected, "the spec's limits for 'command' differ from execJobBody's");
    assert.deepEqual(sorted((session.required as string[]) ?? []), sorted(['sessionId', 'streamUrl', 'tokenValue', 'target', 'region']));
    assert.equal(session.additionalProperties, false);
  });

  it("documents the schedules' request bodies with the fields and required fields the schemas enforce, the job as POST /jobs's body", () => {
    for (const [key, schema] of [
      ['POST /schedules', createScheduleBody],
      ['PATCH /schedules/{name}', updateScheduleBody],
    ] as const) {
      // Prepare
      const body = resolve(operation(key).requestBody?.content['application/json']?.schema ?? {});
      const enforced = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
      const properties = body.properties as Record<string, JsonSchema>;

      // Assess
      assert.deepEqual(sorted(Object.keys(properties)), sorted(Object.keys(schema.shape)), key);
      assert.equal(body.additionalProperties, false, `${key}: unknown fields are refused, so the spec must say so`);
      assert.deepEqual(sorted((body.required as string[] | undefined) ?? []), sorted((enforced.required as string[] | undefined) ?? []), key);
      assert.equal(properties.job?.$ref, '#/components/schemas/CreateJobRequest', `${key}: the job is a POST /jobs body`);
      assert.deepEqual(resolve(properties.overlap ?? {}).enum, ['allow', 'skip']);
    }
  });

  it('documents the refusals of the schedules with their status and code', () => {
    for (const [key, refused] of [
      ['POST /schedules', new ConflictError('SCHEDULE_EXISTS', 'taken')],
      ['GET /schedules/{name}', new ScheduleNotFoundError('x')],
      ['PATCH /schedules/{name}', new ScheduleNotFoundError('x')],
      ['DELETE /schedules/{name}', new ScheduleNotFoundError('x')],
    ] as const) {
      // Act
      const documented = resolve(operation(key).responses[String(httpStatusOf(refused))] ?? {});

      // Assess
      assert.match(String(documented.description), new RegExp(`\`${refused.code}\``), `${key}: ${refused.code}`);
    }
  });

  it('documents each refusal of an exec with its status and code', () => {
    for (const code of ['EXEC_NOT_ALLOWED', 'EXEC_FORBIDDEN', 'JOB_NOT_RUNNING', 'EXEC_NOT_READY', 'TOO_MANY_EXECS'] as const) {
      // Prepare
      const refused = new ExecRefusedError(code, 'refused');

      // Act
      const documented = resolve(operation('POST /jobs/{id}/exec').responses[String(httpStatusOf(refused))] ?? {});

      // Assess
      assert.match(String(documented.description), new RegExp(`\`${code}\``), `${code} (${httpStatusOf(refused)})`);
    }
  });

  it('documents exactly the query parameters each listing accepts', () => {
    // Assess: the API refuses unknown query parameters, so a documented one it does not know fails.
    assert.deepEqual(sorted(queryParameterNames('GET /jobs')), sorted(Object.keys(listJobsQuery.shape)));
    assert.deepEqual(sorted(queryParameterNames('GET /jobs/{id}/logs')), sorted(Object.keys(jobLogsQuery.shape)));
    assert.deepEqual(sorted(queryParameterNames('GET /jobs/{id}')), sorted(Object.keys(getJobQuery.shape)));
    // A HEAD takes its GET's parameters (it is routed to the same handler).
    for (const path of ['/jobs', '/jobs/{id}', '/jobs/{id}/logs']) assert.deepEqual(queryParameterNames(`HEAD ${path}`), queryParameterNames(`GET ${path}`), `HEAD ${path}`);
  });

  it('documents the limit of wait that the schemas enforce', () => {
    // Prepare
    const documented = resolve(spec.components.parameters?.Wait ?? ({} as Parameter)).schema ?? {};

    // Act
    const accepts = (value: string) => [jobLogsQuery, getJobQuery, listJobsQuery].every((query) => z.safeParse(query, { wait: value }).success);
    const refuses = (value: string) => [jobLogsQuery, getJobQuery, listJobsQuery].every((query) => !z.safeParse(query, { wait: value }).success);

    // Assess
    assert.equal(documented.maximum, MAX_WAIT_SECONDS);
    assert.equal(documented.minimum, 0);
    assert.ok(accepts(String(MAX_WAIT_SECONDS)) && accepts('0'));
    assert.ok(refuses(String(MAX_WAIT_SECONDS + 1)) && refuses('-1') && refuses('1.5'));
  });

  it('lists exactly the job statuses and failure categories of the domain', () => {
    // Assess
    assert.deepEqual(spec.components.schemas.JobStatus?.enum, [...JOB_STATUSES]);
    assert.deepEqual(spec.components.schemas.FailureCategory?.enum, [...FAILURE_CATEGORIES]);
  });

  it('documents the refusal of a job beyond the token\'s active-job limit with its status and code', () => {
    // Prepare
    const refused = new TooManyActiveJobsError('ci', 3);

    // Act
    const documented = resolve(operation('POST /jobs').responses[String(httpStatusOf(refused))] ?? {});

    // Assess
    assert.match(String(documented.description), new RegExp(`\`${refused.code}\``));
  });

  it('describes every error answer with the error shape the handlers send', () => {
    // Prepare
    const errorSchema = resolve(spec.components.schemas.Error ?? {});
    const inner = resolve((errorSchema.properties as Record<string, JsonSchema>).error ?? {});
    const sent = errorBody('CODE', 'message', [{ path: 'field', message: 'problem' }], 'request-id') as { error: object };

    // Assess
    assert.deepEqual(sorted(Object.keys(inner.properties as object)), sorted(Object.keys(sent.error)));
    for (const { key, operation: documented } of operations()) {
      for (const [status, response] of Object.entries(documented.responses)) {
        if (!/^[45]/.test(status)) continue;
        const schema = resolve(response).content?.['application/json']?.schema;
        assert.equal(schema?.$ref, '#/components/schemas/Error', `${key} answers ${status} with the error shape`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The deployment

describe('serverless.yml', () => {
  it("has as many functions as docs/deploy.md's list of what a stage creates says", () => {
    // Prepare
    const stated = /^\| (\d+) Lambda functions \|/m.exec(readText('docs/deploy.md'))?.[1];

    // Assess
    assert.equal(Number(stated), Object.keys(deployment.functions).length);
  });

  it('deploys every route, once, to the function of its handler module', () => {
    // Act
    const deployed = httpApiRoutes();

    // Assess
    assert.deepEqual(sorted(deployed), sorted(DEPLOYED_ROUTES.map((route) => `${route.method} ${route.path} → handlers/http/${route.handler}`)));
  });

  it("deploys a HEAD beside every GET, to the same function, and an OPTIONS on every path of ROUTES but Slack's", () => {
    // Prepare
    // Slack's routes are for Slack, not browsers: no OPTIONS.
    const paths = new Set(ROUTES.filter((route) => !route.slack).map((route) => route.path));

    // Act
    const deployed = httpApiRoutes();

    // Assess
    for (const route of ROUTES.filter((candidate) => candidate.method === 'GET')) {
      assert.ok(deployed.includes(`HEAD ${route.path} → handlers/http/${route.handler}`), `HEAD ${route.path} is not deployed to ${route.handler}`);
    }
    for (const path of paths) {
      assert.ok(deployed.includes(`OPTIONS ${path} → handlers/http/options`), `OPTIONS ${path} is not deployed`);
    }
  });

  it('has a route for every HTTP handler module and a module for every route', () => {
    // Act
    // The authorizer is no route: serverless.yml wires it as the routes' token authorizer (deployment.test.ts).
    const modules = readdirSync(new URL('handlers/http/', ROOT)).filter((file) => file.endsWith('.ts') && file !== 'authorizer.ts');

    // Assess
    assert.deepEqual(sorted(modules), sorted(new Set(DEPLOYED_ROUTES.map((route) => `${route.handler}.ts`))));
    for (const fn of Object.values(deployment.functions)) {
      assert.ok(existsSync(new URL(`${handlerModule(fn)}.ts`, ROOT)), `${fn.handler}: no such module`);
    }
  });

  it('deploys every workflow step as a function the run-job state machine invokes through its ASL placeholder', () => {
    // Prepare
    const steps = readdirSync(new URL('handlers/steps/', ROOT))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.replace(/\.ts$/, ''));
    const stepFunctions = Object.entries(deployment.functions).filter(([, fn]) => fn.handler.startsWith('handlers/steps/'));
    const [machine, ...others] = Object.values(deployment.stepFunctions.stateMachines);
    assert.ok(machine, 'serverless.yml defines no state machine');
    assert.equal(others.length, 0, 'one state machine is expected');
    assert.ok(machine.id, 'the state machine needs a fixed logical id for its DefinitionSubstitutions');
    const substitutions = deployment.resources?.extensions?.[machine.id]?.Properties?.DefinitionSubstitutions ?? {};
    const asl = JSON.parse(readText(DEFINITION_FILE)) as AslDefinition;
    const placeholders = new Set([...readText(DEFINITION_FILE).matchAll(/\$\{(\w+)\}/g)].map((match) => match[1] ?? ''));

    // Assess: the deployed definition is the file local mode and the state-machine tests run.
    assert.equal(machine.definition, `\${file(${DEFINITION_FILE})}`);
    assert.deepEqual(sorted(stepFunctions.map(([, fn]) => handlerModule(fn))), sorted(steps.map((step) => `handlers/steps/${step}`)));
    for (const [name, fn] of stepFunctions) {
      assert.deepEqual(fn.events ?? [], [], `${name} is invoked by the state machine only`);
    }
    const expected: Record<string, unknown> = {};
    for (const step of steps) {
      const state = pascalCase(step);
      const [functionName] = stepFunctions.find(([, fn]) => handlerModule(fn) === `handlers/steps/${step}`) ?? [];
      assert.ok(functionName, `handlers/steps/${step}.ts has no function`);
      // A callback state (`.waitForTaskToken`) names its function in Parameters; the others in Resource.
      const definition = asl.States[state];
      const invoked = definition?.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken' ? definition.Parameters?.FunctionName : definition?.Resource;
      assert.equal(invoked, `\${${state}FunctionArn}`, `the ${state} state invokes ${step} through its placeholder`);
      expected[`${state}FunctionArn`] = { 'Fn::GetAtt': [lambdaLogicalId(functionName), 'Arn'] };
    }
    assert.deepEqual(substitutions, expected);
    assert.deepEqual(sorted(placeholders), sorted(Object.keys(substitutions)), 'every ASL placeholder needs a substitution, and only those');
  });
});
