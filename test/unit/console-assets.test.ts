/**
 * The web console as lib/console/build-assets.ts builds it from console/: hashed file names that
 * change with their content, an index.html that references them under /assets/, the size
 * budget, and clear failures for a source folder the build cannot use.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { buildConsoleAssets, CONSOLE_GZIP_BUDGET_BYTES, CONSOLE_SOURCE_DIR, consoleAssetsModule, gzippedBytes } from '#lib/console/build-assets.ts';
import type { ConsoleAssets } from '#lib/http/console.ts';

const workDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-console-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

let copies = 0;
/** A copy of console/ with index.html (or another file) changed. */
function consoleCopy(changes: Record<string, (text: string) => string>): string {
  copies += 1;
  const dir = join(workDir, `copy-${copies}`);
  cpSync(CONSOLE_SOURCE_DIR, dir, { recursive: true });
  for (const [file, change] of Object.entries(changes)) writeFileSync(join(dir, file), change(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

function fileNamed(assets: ConsoleAssets, pattern: RegExp): [string, { body: string; contentType: string }] {
  const found = [...assets.files].find(([name]) => pattern.test(name));
  assert.ok(found, `no file named like ${pattern} among ${[...assets.files.keys()].join(', ')}`);
  return found;
}

describe('the console build', () => {
  it('names the script, style sheet and icon by their content hash and serves each with its type', () => {
    // Act
    const assets = buildConsoleAssets();

    // Assess
    assert.equal(assets.files.size, 3);
    const expected = [
      [/^main-[0-9a-f]{16}\.js$/, 'text/javascript; charset=utf-8'],
      [/^styles-[0-9a-f]{16}\.css$/, 'text/css; charset=utf-8'],
      [/^favicon-[0-9a-f]{16}\.svg$/, 'image/svg+xml; charset=utf-8'],
    ] as const;
    for (const [pattern, contentType] of expected) {
      const [name, asset] = fileNamed(assets, pattern);
      assert.equal(asset.contentType, contentType, name);
      assert.equal(name.split(/[-.]/)[1], createHash('sha256').update(asset.body).digest('hex').slice(0, 16), `${name} is named by its content`);
    }
    assert.equal(fileNamed(assets, /\.svg$/)[1].body, readFileSync(join(CONSOLE_SOURCE_DIR, 'favicon.svg'), 'utf8'));
    assert.equal(assets.index.contentType, 'text/html; charset=utf-8');
  });

  it('rewrites the three references of index.html to /assets/<hashed name>, and leaves no source reference', () => {
    // Act
    const assets = buildConsoleAssets();

    // Assess
    const [script] = fileNamed(assets, /\.js$/);
    const [styles] = fileNamed(assets, /\.css$/);
    const [icon] = fileNamed(assets, /\.svg$/);
    assert.match(assets.index.body, new RegExp(`<script [^>]*src="/assets/${script}"`));
    assert.match(assets.index.body, new RegExp(`<link [^>]*href="/assets/${styles}"`));
    assert.match(assets.index.body, new RegExp(`<link [^>]*href="/assets/${icon}"`));
    assert.doesNotMatch(assets.index.body, /main\.ts|styles\.css|favicon\.svg/);
  });

  it('bundles the script and the modules it imports into one minified ES module, with no source map', () => {
    // Prepare
    const sourceDir = consoleCopy({ 'main.ts': () => "import { greeting } from './greeting.ts';\nconst appElement = document.getElementById('app');\nif (appElement) appElement.textContent = greeting;\n" });
    writeFileSync(join(sourceDir, 'greeting.ts'), "export const greeting: string = 'hello from a module';\n");

    // Act
    const [, script] = fileNamed(buildConsoleAssets({ sourceDir }), /\.js$/);

    // Assess
    assert.match(script.body, /hello from a module/);
    assert.doesNotMatch(script.body, /\bimport\b|\bfrom\s*['"]/, 'the imported module is in the bundle');
    assert.doesNotMatch(script.body, /appElement|: string/, 'minified, types stripped');
    assert.doesNotMatch(script.body, /sourceMappingURL/);
  });

  it(`stays within the issue's budget: everything gzipped in at most ${CONSOLE_GZIP_BUDGET_BYTES / 1024} KB`, () => {
    // Act
    const total = gzippedBytes(buildConsoleAssets());

    // Assess
    assert.ok(total > 0);
    assert.ok(total <= CONSOLE_GZIP_BUDGET_BYTES, `the console is ${(total / 1024).toFixed(1)} KB gzipped, over its ${CONSOLE_GZIP_BUDGET_BYTES / 1024} KB`);
  });

  it('names a file anew when its content changes, and keeps the others', () => {
    // Prepare
    const before = buildConsoleAssets();
    const changed = consoleCopy({ 'styles.css': (text) => `${text}\nbody { margin: 0; }\n` });

    // Act
    const after = buildConsoleAssets({ sourceDir: changed });

    // Assess
    assert.notEqual(fileNamed(after, /\.css$/)[0], fileNamed(before, /\.css$/)[0]);
    assert.equal(fileNamed(after, /\.js$/)[0], fileNamed(before, /\.js$/)[0]);
    assert.equal(fileNamed(after, /\.svg$/)[0], fileNamed(before, /\.svg$/)[0]);
  });

  for (const [reference, unreferenced] of [
    ['./main.ts', (html: string) => html.replace(/<script[^>]*><\/script>/, '')],
    ['./styles.css', (html: string) => html.replace(/<link rel="stylesheet"[^>]*>/, '')],
    ['./favicon.svg', (html: string) => html.replace(/<link rel="icon"[^>]*>/, '')],
  ] as const) {
    it(`fails, naming it, when index.html does not reference ${reference}`, () => {
      // Prepare
      const sourceDir = consoleCopy({ 'index.html': unreferenced });

      // Act + Assess
      assert.throws(() => buildConsoleAssets({ sourceDir }), { name: 'ConsoleBuildError', message: new RegExp(`console/index\\.html does not reference ${reference.replace('.', '\\.')}`) });
    });
  }

  it("fails on inline script or style in index.html, which the console's Content-Security-Policy would refuse", () => {
    for (const inline of ['<script>alert(1)</script>', '<style>body{}</style>', '<p style="color:red">x</p>', '<button onclick="go()">go</button>']) {
      // Prepare
      const sourceDir = consoleCopy({ 'index.html': (html) => html.replace('</body>', `${inline}</body>`) });

      // Act + Assess
      assert.throws(() => buildConsoleAssets({ sourceDir }), { name: 'ConsoleBuildError', message: /inline script or style/ }, inline);
    }
  });

  it('fails, saying where, when a module of the console does not compile', () => {
    // Prepare
    const sourceDir = consoleCopy({ 'main.ts': (text) => `${text}\nconst = ;\n` });

    // Act + Assess
    assert.throws(() => buildConsoleAssets({ sourceDir }), { name: 'ConsoleBuildError', message: /could not build the console's main\.ts: .*main\.ts:\d+/s });
  });

  it('becomes a module that exports the same assets, byte for byte (what the console function bundles)', async () => {
    // Prepare: the console, and a file of every character a string literal could trip on.
    const built = buildConsoleAssets();
    const awkward = { body: 'a `template ${x}` "quoted" \'single\' \\ back\u2028line\u2029para </script> \u0000 é 🚀\n', contentType: 'text/javascript; charset=utf-8' };
    const assets: ConsoleAssets = { index: built.index, files: new Map([...built.files, ['awkward-0123456789abcdef.js', awkward]]) };
    const moduleFile = join(workDir, 'console-assets.mjs');
    writeFileSync(moduleFile, consoleAssetsModule(assets));

    // Act
    const { consoleAssets } = (await import(pathToFileURL(moduleFile).href)) as { consoleAssets: ConsoleAssets };

    // Assess
    assert.deepEqual(consoleAssets, assets);
  });
});
