/**
 * The limits docs/openapi.yaml states for a job request, against the ones the code enforces: the
 * task sizes Fargate offers (task-limits.ts), ECS's limit on container overrides, and the body
 * limit. Each documented limit must be the enforced one, and together they must not contradict each
 * other: what the spec lets a client send at most must be sendable (it fits in the overrides), and
 * no request within them may be refused as too large a body.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { CURSOR_PATTERN, encodeCursor } from '#lib/domain/cursor.ts';
import { FARGATE_CPU_SIZES, fargateMemorySizes, MAX_OVERRIDES_LENGTH, overridesLength } from '#lib/domain/task-limits.ts';

type Schema = { $ref?: string; [keyword: string]: unknown };
interface Spec {
  components: { schemas: Record<string, Schema>; responses: Record<string, Schema> };
}

const spec = load(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as Spec;

/** Follows `#/components/...` references until the node is not one. */
function resolve(node: Schema): Schema {
  if (typeof node.$ref !== 'string') return node;
  const target = node.$ref
    .slice(2)
    .split('/')
    .reduce<unknown>((parent, segment) => (parent as Record<string, unknown> | undefined)?.[segment], spec);
  assert.ok(target, `${node.$ref} points at nothing`);
  return resolve(target as Schema);
}

function number(node: Schema, keyword: string): number {
  const value = node[keyword];
  assert.equal(typeof value, 'number', `the spec gives no ${keyword}`);
  return value as number;
}

const request = resolve(spec.components.schemas.CreateJobRequest ?? {});
const properties = request.properties as Record<string, Schema>;
const field = (name: string) => resolve(properties[name] ?? {});
const argv = resolve((field('command').anyOf as Schema[])[0] ?? {});
const shellString = resolve((field('command').anyOf as Schema[])[1] ?? {});
const argument = resolve(argv.items as Schema);
const env = field('env');
const envValue = resolve(env.additionalProperties as Schema);
const labels = field('labels');
const bodyLimit = number(resolve(spec.components.responses.PayloadTooLarge ?? {}), 'x-maxBodyBytes');

/**
 * The most characters a string of this pattern can have, read from its tail: `[first][rest]{0,N}$`
 * (a name: 1 + N characters) or `[any]{1,N}$` (N).
 */
function longestMatch(pattern: Schema): number {
  const match = /\{([01]),(\d+)\}\$$/.exec(String(pattern.pattern));
  assert.ok(match, `cannot read the longest match of ${String(pattern.pattern)}`);
  return Number(match[2]) + (match[1] === '0' ? 1 : 0);
}

describe('the task size docs/openapi.yaml documents', () => {
  it('lists exactly the CPU sizes Fargate offers', () => {
    assert.deepEqual(field('cpu').enum, [...FARGATE_CPU_SIZES]);
  });

  it('lists exactly the memory sizes Fargate runs with some CPU size', () => {
    // Prepare
    const offered = [...new Set(FARGATE_CPU_SIZES.flatMap((cpu) => fargateMemorySizes(cpu)))].toSorted((a, b) => a - b);

    // Assess
    assert.deepEqual(field('memory').enum, offered);
  });
});

describe('the command and environment limits docs/openapi.yaml documents', () => {
  it("states ECS's limit on container overrides", () => {
    assert.equal(number(request, 'x-maxOverridesLength'), MAX_OVERRIDES_LENGTH);
  });

  it('never lets one argument, variable or shell string be longer than the overrides can hold', () => {
    for (const [what, schema] of [['an argument', argument], ['a variable', envValue], ['a shell string', shellString]] as const) {
      assert.ok(number(schema, 'maxLength') <= MAX_OVERRIDES_LENGTH, `${what} may be longer than the overrides limit`);
    }
  });

  it('lets a client send the most arguments and the most variables it documents, together, at the largest task size', () => {
    // Prepare: the shortest argument and variable the spec allows, as many as it allows.
    const command = Array.from({ length: number(argv, 'maxItems') }, () => 'a');
    const variables = Object.fromEntries(Array.from({ length: number(env, 'maxProperties') }, (_unused, index) => [`V${index}`, '']));
    const cpu = Math.max(...(field('cpu').enum as number[]));
    const memory = Math.max(...(field('memory').enum as number[]));

    // Act
    const length = overridesLength({ command, env: variables, cpu, memory });

    // Assess
    assert.ok(length <= MAX_OVERRIDES_LENGTH, `the documented maxima take ${length} characters of overrides, over ${MAX_OVERRIDES_LENGTH}`);
  });

  it('keeps every body within its limits under the body limit, so 413 never refuses a valid job', () => {
    // Prepare: the most bytes each field can take in the body's JSON. A code point takes at most
    // 6 bytes there (`\u001f`), a UTF-16 unit of the overrides at most 3 bytes of UTF-8; command and
    // env together cannot take more body than they take overrides, where they must fit.
    const perCodePoint = 6;
    const commandAndEnv = 3 * MAX_OVERRIDES_LENGTH;
    const labelEntry = 2 + longestMatch(resolve(labels.propertyNames as Schema)) + 2 + number(resolve(labels.additionalProperties as Schema), 'maxLength') * perCodePoint + 1;
    const fields: Record<string, number> = {
      command: commandAndEnv,
      env: 0,
      labels: 2 + number(labels, 'maxProperties') * labelEntry,
      sshPublicKey: 2 + number(field('sshPublicKey'), 'maxLength') * perCodePoint,
      profile: 2 + longestMatch(field('profile')),
      // Printable ASCII: at most 2 bytes each (`\"`).
      idempotencyKey: 2 + longestMatch(field('idempotencyKey')) * 2,
      cpu: String(Math.max(...(field('cpu').enum as number[]))).length,
      memory: String(Math.max(...(field('memory').enum as number[]))).length,
      timeoutSeconds: String(number(field('timeoutSeconds'), 'maximum')).length,
      publicIp: 'false'.length,
      hold: 'false'.length,
      // A job id: plain ASCII, one byte each.
      rerunOf: 2 + 'job-'.length + 26,
      callbackUrl: 2 + number(field('callbackUrl'), 'maxLength') * perCodePoint,
      // The longest event name, quoted, with a comma, for each there may be.
      callbackEvents: 2 + number(field('callbackEvents'), 'maxItems') * (2 + Math.max(...((field('callbackEvents').items as Schema).enum as string[]).map((name) => name.length)) + 1),
      retry: retryBytes(),
    };
    assert.deepEqual(Object.keys(fields).toSorted(), Object.keys(properties).toSorted(), 'every field of the body is counted');

    // Act
    const largest = 2 + Object.entries(fields).reduce((sum, [name, bytes]) => sum + name.length + 4 + bytes, 0);

    // Assess
    assert.ok(largest < bodyLimit, `a valid body can take ${largest} bytes, over the ${bodyLimit}-byte body limit`);
  });
});

/**
 * The most bytes `retry` can take: the most attempts, and the most rules, each with every pattern at
 * its longest. Batch's characters are ASCII, a tab the longest in JSON (`\t`: 2 bytes).
 */
function retryBytes(): number {
  const strategy = field('retry');
  const strategyProperties = strategy.properties as Record<string, Schema>;
  const rules = resolve(strategyProperties.evaluateOnExit ?? {});
  const rule = resolve(rules.items as Schema);
  const patterns = Object.entries(rule.properties as Record<string, Schema>).filter(([name]) => name !== 'action');
  const ruleBytes = 2 + patterns.reduce((sum, [name, pattern]) => sum + name.length + 4 + number(resolve(pattern), 'maxLength') * 2, 0) + '"action":"RETRY"'.length + patterns.length;
  const attempts = String(number(resolve(strategyProperties.attempts ?? {}), 'maximum')).length;
  return 2 + '"attempts":,"evaluateOnExit":[]'.length + attempts + number(rules, 'maxItems') * (ruleBytes + 1);
}

describe('docs/openapi.yaml Cursor', () => {
  it('has the form the server writes and accepts', () => {
    // Prepare
    const cursor = resolve(spec.components.schemas.Cursor ?? {});

    // Assess
    assert.equal(cursor.pattern, CURSOR_PATTERN.source);
    assert.match(encodeCursor({ pk: 'JOB#job_01', sk: 'JOB', offset: 1234 }), new RegExp(String(cursor.pattern)));
  });
});
