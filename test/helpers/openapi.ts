/**
 * docs/openapi.yaml for tests that hold answers against it: its operations, their responses with
 * references resolved, and validators compiled from the spec's own schemas by a JSON Schema
 * validator (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses).
 *
 * Answers are validated "closed": every object schema that lists its `properties` (and says nothing
 * about others) refuses properties it does not list, so a field the server sends but the spec does
 * not document fails too. The document itself stays open for clients.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { load } from 'js-yaml';

export type Schema = { $ref?: string; [keyword: string]: unknown };

export interface Header {
  $ref?: string;
  description?: string;
  required?: boolean;
  schema: Schema;
}

export interface Response {
  $ref?: string;
  description: string;
  headers?: Record<string, Header>;
  content?: Record<string, { schema: Schema }>;
}

export interface Parameter {
  $ref?: string;
  name: string;
  in: string;
  schema: Schema;
}

export interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, Response>;
  security?: Array<Record<string, string[]>>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation | Parameter[]>>;
  components: Record<string, Record<string, unknown>>;
}

export interface DocumentedOperation {
  /** `GET /jobs/{id}` */
  key: string;
  method: string;
  path: string;
  operation: Operation;
}

export const spec = load(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as OpenApiDocument;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

export function operations(): DocumentedOperation[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, operation: operation as Operation })),
  );
}

/** The methods the spec documents for a path, e.g. `['GET', 'HEAD', 'OPTIONS']`. */
export function methodsOf(path: string): string[] {
  return operations()
    .filter((documented) => documented.path === path)
    .map((documented) => documented.method);
}

/** Follows a `#/…` reference until the node is not one. */
export function resolve<T extends object>(node: T): T {
  const reference = (node as { $ref?: unknown }).$ref;
  if (typeof reference !== 'string') return node;
  assert.match(reference, /^#\//, `only local references are expected, found ${reference}`);
  const target = reference
    .slice(2)
    .split('/')
    .reduce<unknown>((parent, segment) => (parent as Record<string, unknown> | undefined)?.[segment.replaceAll('~1', '/').replaceAll('~0', '~')], spec);
  assert.ok(target !== undefined, `${reference} points at nothing`);
  return resolve(target as T);
}

/** A response and its headers, resolved: an operation's, or one of `#/components/responses` by name. */
export function documentedResponse(documented: Response | string): Response {
  const response = resolve(typeof documented === 'string' ? { $ref: `#/components/responses/${documented}`, description: '' } : documented);
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, header]) => [name, resolve(header)]));
  return { ...response, headers };
}

/** The query parameters of an operation, its path's included, resolved. */
export function queryParameters(documented: DocumentedOperation): Parameter[] {
  const shared = (spec.paths[documented.path]?.parameters as Parameter[] | undefined) ?? [];
  return [...shared, ...(documented.operation.parameters ?? [])].map((parameter) => resolve(parameter)).filter((parameter) => parameter.in === 'query');
}

const SPEC_ID = 'https://fargate-jobs.invalid/openapi.json';

/** Object schemas that name their properties refuse others (unless they say otherwise). */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (typeof node !== 'object' || node === null) return node;
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, closed(value)]));
  const isOpenObjectSchema = 'properties' in copy && typeof copy.properties === 'object' && !('additionalProperties' in copy) && !('unevaluatedProperties' in copy);
  return isOpenObjectSchema ? { ...copy, unevaluatedProperties: false } : copy;
}

const ajv = new Ajv2020({ strict: true, allErrors: true });
formats.default(ajv);
// The document around the schemas, and the spec's own extensions, are no JSON Schema keywords.
ajv.addVocabulary(['components', 'x-maxOverridesLength', 'x-maxBodyBytes']);
ajv.addSchema({ $id: SPEC_ID, components: { schemas: closed(spec.components.schemas) } });

const validators = new Map<string, ValidateFunction>();

/** A validator of a schema the spec gives: a `#/components/schemas/…` reference, or a schema without references. */
export function validatorOf(schema: Schema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    if (schema.$ref !== undefined) assert.match(schema.$ref, /^#\/components\/schemas\//, 'schemas are referenced from components');
    validate = ajv.compile(schema.$ref === undefined ? (closed(schema) as Schema) : { $ref: `${SPEC_ID}${schema.$ref}` });
    validators.set(key, validate);
  }
  return validate;
}

export function assertValid(schema: Schema, value: unknown, what: string): void {
  const validate = validatorOf(schema);
  const valid = validate(value);
  assert.ok(valid, `${what} does not match the spec: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)?.slice(0, 2000)}`);
}

/** A header's value as its schema types it (headers arrive as text). */
export function headerValue(value: string, schema: Schema): unknown {
  return schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
}

/** The codes a response's description names (`` `JOB_NOT_FOUND` ``): the ones a client may get with it. */
export function documentedCodes(response: Response): string[] {
  return [...response.description.matchAll(/`([A-Z][A-Z_]+)`/g)].map((match) => match[1] ?? '');
}
