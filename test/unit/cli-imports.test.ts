/**
 * The CLI starts fast and talks to the API only: what `cli/fargate-jobs.ts` loads at start-up (its
 * static imports, followed through the project's files) includes no AWS SDK, no adapter and not the
 * composition root. Only `token` loads those, with a dynamic import, when it is the verb.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ALIASES: Record<string, string> = { '#lib/': 'lib/', '#cli/': 'cli/', '#config/': 'config/' };

/** Static `import … from` / `export … from` / `import '…'`; `import type` is erased and does not count. */
function staticImports(source: string): string[] {
  const pattern = /^\s*(?:import|export)\s+(?!type\b)(?:[\w$*{},\s]+?\s+from\s+)?['"]([^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? '');
}

function resolve(from: string, specifier: string): string {
  const alias = Object.keys(ALIASES).find((prefix) => specifier.startsWith(prefix));
  if (alias) return normalize(ALIASES[alias] + specifier.slice(alias.length));
  return specifier.startsWith('.') ? normalize(join(dirname(from), specifier)) : specifier;
}

/** Every module loaded at start-up: project files as root-relative paths, packages and built-ins by name. */
function loadedAtStartUp(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    for (const specifier of staticImports(readFileSync(join(ROOT, file), 'utf8'))) pending.push(resolve(file, specifier));
  }
  return seen;
}

describe('what the CLI loads at start-up', () => {
  it('is built-ins, the CLI, lib/domain and type-free parts only: no AWS SDK, adapter or composition root', () => {
    const loaded = [...loadedAtStartUp('cli/fargate-jobs.ts')];

    assert.ok(loaded.includes('cli/verbs/run.ts'), 'the reader follows the imports');
    const unwanted = loaded.filter((module) => !module.startsWith('node:') && !module.startsWith('cli/') && !module.startsWith('lib/domain/'));
    assert.deepEqual(unwanted, []);
    assert.ok(!loaded.includes('cli/token.ts'), 'token.ts (and the AWS SDK it brings) is loaded only for the token verb');
  });

  it('catches a static import of the token command', () => {
    const source = "import { runTokenCommand } from '../token.ts';\nimport type { X } from 'y';\nexport async function f() {\n  return import('../other.ts');\n}\nimport 'side-effect';";
    assert.deepEqual(staticImports(source), ['../token.ts', 'side-effect']);
  });
});
