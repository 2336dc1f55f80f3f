/**
 * The layers of ../shared/design.md §5, kept by reading the import graph of the product's code (every
 * static and dynamic import of every .ts file outside test/ and bench/):
 *
 * - lib/domain/ imports nothing of the project outside itself, and no package (node: built-ins only);
 * - a handler (handlers/) imports only the composition root and the factories (lib/http/, lib/workflow/);
 * - config/ imports only lib/domain/ (plain data and its types);
 * - an adapter (lib/adapters/) imports no config/, no handler and not the composition root;
 * - only lib/composition/ (besides the adapters themselves) imports an adapter;
 * - only local/ imports lib/console/ (the console's build, with esbuild: no Lambda's bundle holds it).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRODUCT_DIRS = ['lib', 'handlers', 'config', 'local', 'cli'];
/** package.json "imports". */
const ALIASES: Record<string, string> = { '#lib/': 'lib/', '#handlers/': 'handlers/', '#config/': 'config/', '#local/': 'local/', '#cli/': 'cli/' };

/** A module and what it imports: project files as root-relative paths, packages by name. */
interface ImportEdge {
  from: string;
  to: string;
}

function productFiles(): string[] {
  return PRODUCT_DIRS.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(dir, file)),
  );
}

/** `import … from 'x'`, `export … from 'x'`, `import 'x'` and `import('x')`. */
function specifiersOf(source: string): string[] {
  const patterns = [/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm, /^\s*import\s+['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] ?? ''));
}

function resolveSpecifier(from: string, specifier: string): string {
  const alias = Object.keys(ALIASES).find((prefix) => specifier.startsWith(prefix));
  if (alias) return normalize(ALIASES[alias] + specifier.slice(alias.length));
  if (specifier.startsWith('.')) return normalize(join(dirname(from), specifier));
  return specifier;
}

function importGraph(): ImportEdge[] {
  return productFiles().flatMap((from) =>
    specifiersOf(readFileSync(join(ROOT, from), 'utf8')).map((specifier) => ({ from, to: resolveSpecifier(from, specifier) })),
  );
}

const isProjectFile = (path: string) => PRODUCT_DIRS.some((dir) => path.startsWith(`${dir}/`)) || path.startsWith('statemachine/');
const under = (dir: string) => (path: string) => path.startsWith(dir);

interface Rule {
  name: string;
  applies: (from: string) => boolean;
  allows: (to: string, from: string) => boolean;
}

const RULES: Rule[] = [
  {
    name: 'lib/domain imports nothing outside itself',
    applies: under('lib/domain/'),
    allows: (to) => under('lib/domain/')(to) || to.startsWith('node:'),
  },
  {
    name: 'a handler imports only the composition root and the handler and step factories',
    applies: under('handlers/'),
    allows: (to) => ['lib/composition/', 'lib/http/', 'lib/workflow/'].some((dir) => to.startsWith(dir)),
  },
  {
    name: 'config imports only lib/domain',
    applies: under('config/'),
    allows: (to) => under('lib/domain/')(to),
  },
  {
    name: 'an adapter imports no config, no handler and not the composition root',
    applies: under('lib/adapters/'),
    allows: (to) => !['config/', 'handlers/', 'lib/composition/'].some((dir) => to.startsWith(dir)),
  },
  {
    name: 'only the composition root imports adapters',
    applies: (from) => !under('lib/adapters/')(from) && !under('lib/composition/')(from),
    allows: (to) => !under('lib/adapters/')(to),
  },
  {
    name: "only local mode imports the console's build",
    applies: (from) => !under('lib/console/')(from) && !under('local/')(from),
    allows: (to) => !under('lib/console/')(to) && to !== 'esbuild',
  },
];

/** Each import that breaks a rule, as `rule: from → to`. */
function violations(edges: readonly ImportEdge[]): string[] {
  return edges.flatMap(({ from, to }) =>
    RULES.filter((rule) => rule.applies(from) && !rule.allows(to, from)).map((rule) => `${rule.name}: ${from} → ${to}`),
  );
}

describe('the import rules of the layers', () => {
  it('hold for every module of the product', () => {
    const edges = importGraph();
    // The reader is really reading: the handlers reach the composition root, and the domain is imported.
    assert.ok(edges.some(({ from, to }) => from.startsWith('handlers/') && to === 'lib/composition/aws.ts'));
    assert.ok(edges.some(({ to }) => to.startsWith('lib/domain/')));
    for (const { from, to } of edges) {
      if (isProjectFile(to)) assert.ok(readdirSync(join(ROOT, dirname(to))).includes(to.slice(dirname(to).length + 1)), `${from} imports ${to}, which does not exist`);
    }

    assert.deepEqual(violations(edges), []);
  });

  it('catch an import that breaks each rule', () => {
    const broken: ImportEdge[] = [
      { from: 'lib/domain/job.ts', to: 'lib/http/responses.ts' },
      { from: 'lib/domain/job.ts', to: '@aws-sdk/client-ecs' },
      { from: 'handlers/http/get-job.ts', to: 'lib/adapters/aws/dynamodb-job-store.ts' },
      { from: 'config/profiles.ts', to: 'lib/adapters/aws/ecs-task-runner.ts' },
      { from: 'lib/adapters/aws/ecs-task-runner.ts', to: 'config/profiles.ts' },
      { from: 'lib/adapters/aws/sfn-workflow.ts', to: 'handlers/http/create-job.ts' },
      { from: 'lib/http/get-job.ts', to: 'lib/adapters/aws/dynamodb-job-store.ts' },
      { from: 'local/local-server.ts', to: 'lib/adapters/local/sqlite-database.ts' },
      { from: 'lib/composition/aws-console.ts', to: 'lib/console/build-assets.ts' },
      { from: 'lib/http/console.ts', to: 'esbuild' },
    ];

    const found = violations(broken);

    for (const { from, to } of broken) assert.ok(found.some((violation) => violation.endsWith(`: ${from} → ${to}`)), `${from} → ${to} is not caught`);
    for (const rule of RULES) assert.ok(found.some((violation) => violation.startsWith(`${rule.name}:`)), `no example breaks '${rule.name}'`);
  });

  it('resolve the aliases and relative paths the code uses', () => {
    assert.equal(resolveSpecifier('handlers/http/get-job.ts', '#lib/composition/aws.ts'), 'lib/composition/aws.ts');
    assert.equal(resolveSpecifier('lib/adapters/aws/dynamodb-job-store.ts', './dynamodb-table.ts'), 'lib/adapters/aws/dynamodb-table.ts');
    assert.equal(resolveSpecifier('lib/workflow/definition.ts', '../../statemachine/run-job.asl.json'), 'statemachine/run-job.asl.json');
    assert.deepEqual(
      specifiersOf("import type { A } from './a.ts';\nexport { b } from '#lib/b.ts';\nconst c = await import('#lib/c.ts');\nimport 'd';"),
      ['./a.ts', '#lib/b.ts', 'd', '#lib/c.ts'],
    );
  });
});
