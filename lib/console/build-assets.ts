/**
 * Builds the web console (console/) into the files the console's routes serve: console/main.ts
 * bundled with its modules into one minified ES module, console/styles.css with what it @imports
 * into one minified style sheet, console/favicon.svg as it is, each named `<base>-<content hash>.<ext>`
 * (so a browser may keep it for a year), and index.html with its three references rewritten to
 * `/assets/<hashed name>`.
 *
 * Build time only (esbuild, a devDependency): `npm start` calls it once when it starts, and
 * `serverless package` through lib/console/esbuild-plugin.ts, which puts the result into the console
 * function's bundle. Nothing a Lambda runs imports this module.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildSync, type BuildOptions, type OutputFile } from 'esbuild';
import { ASSETS_PATH, type ConsoleAsset, type ConsoleAssets } from '#lib/http/console.ts';

/** The console's source folder. */
export const CONSOLE_SOURCE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/** The budget: everything the console serves, gzipped, in at most this. */
export const CONSOLE_GZIP_BUDGET_BYTES = 100 * 1024;

/** Browsers of the last two years or so: modern syntax stays as written, a little CSS is lowered. */
const BROWSER_TARGETS = ['chrome120', 'edge120', 'firefox120', 'safari17'];

/** The files index.html must reference, and what each becomes. */
const REFERENCES = {
  script: { source: 'main.ts', base: 'main', extension: 'js', contentType: 'text/javascript; charset=utf-8' },
  styles: { source: 'styles.css', base: 'styles', extension: 'css', contentType: 'text/css; charset=utf-8' },
  icon: { source: 'favicon.svg', base: 'favicon', extension: 'svg', contentType: 'image/svg+xml; charset=utf-8' },
} as const;
type Reference = keyof typeof REFERENCES;

const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';
/** 64 bits of the SHA-256 of a file, in hex. */
const HASH_LENGTH = 16;

export class ConsoleBuildError extends Error {
  override name = 'ConsoleBuildError';
}

export interface BuildConsoleOptions {
  /** The folder holding index.html, main.ts, styles.css and favicon.svg; console/ by default. */
  sourceDir?: string;
}

/** The console's files, built from its source folder. Synchronous: esbuild runs once and exits. */
export function buildConsoleAssets(options: BuildConsoleOptions = {}): ConsoleAssets {
  const sourceDir = options.sourceDir ?? CONSOLE_SOURCE_DIR;
  const html = readSource(sourceDir, 'index.html');
  checkNoInlineCode(html);
  const built: Record<Reference, { name: string; asset: ConsoleAsset }> = {
    script: hashed('script', bundle(sourceDir, 'script', { format: 'esm' })),
    styles: hashed('styles', bundle(sourceDir, 'styles', {})),
    icon: hashed('icon', readSource(sourceDir, REFERENCES.icon.source)),
  };
  const index: ConsoleAsset = { body: rewriteReferences(html, built), contentType: HTML_CONTENT_TYPE };
  return { index, files: new Map(Object.values(built).map(({ name, asset }) => [name, asset])) };
}

/** Everything the console serves, each file gzipped on its own as a server would send it. */
export function gzippedBytes(assets: ConsoleAssets): number {
  return [assets.index, ...assets.files.values()].reduce((total, asset) => total + gzipSync(asset.body, { level: 9 }).length, 0);
}

/**
 * An ES module that exports the assets as `consoleAssets` (the shape lib/http/console.ts serves):
 * what the console function's bundle carries. The bodies are JSON string literals, which any text
 * survives unchanged (and smaller than base64 would be: the budget of an HTTP bundle holds them).
 */
export function consoleAssetsModule(assets: ConsoleAssets): string {
  return `export const consoleAssets = {
  index: ${JSON.stringify(assets.index)},
  files: new Map(${JSON.stringify([...assets.files])}),
};
`;
}

function bundle(sourceDir: string, reference: 'script' | 'styles', options: Pick<BuildOptions, 'format'>): string {
  const { source, extension } = REFERENCES[reference];
  let outputFiles: OutputFile[];
  try {
    ({ outputFiles } = buildSync({
      entryPoints: [join(sourceDir, source)],
      bundle: true,
      minify: true,
      sourcemap: false,
      target: BROWSER_TARGETS,
      platform: 'browser',
      write: false,
      outdir: join(sourceDir, 'out'),
      logLevel: 'silent',
      ...options,
    }));
  } catch (error) {
    throw new ConsoleBuildError(`could not build the console's ${source}: ${(error as Error).message}`, { cause: error });
  }
  const [output, ...others] = outputFiles;
  if (!output || others.length > 0 || !output.path.endsWith(`.${extension}`)) {
    const names = outputFiles.map((file) => file.path.slice(file.path.lastIndexOf('/') + 1)).join(', ');
    throw new ConsoleBuildError(
      `the console's ${source} must build into one .${extension} file, got ${names || 'none'}: styles go in console/styles.css (and what it @imports), not in an import of a module`,
    );
  }
  return output.text;
}

function hashed(reference: Reference, body: string): { name: string; asset: ConsoleAsset } {
  const { base, extension, contentType } = REFERENCES[reference];
  const hash = createHash('sha256').update(body).digest('hex').slice(0, HASH_LENGTH);
  return { name: `${base}-${hash}.${extension}`, asset: { body, contentType } };
}

/** Each `src`/`href` of `./main.ts`, `./styles.css` and `./favicon.svg` (with or without `./`) → `/assets/<hashed name>`. */
function rewriteReferences(html: string, built: Record<Reference, { name: string }>): string {
  let rewritten = html;
  for (const reference of Object.keys(REFERENCES) as Reference[]) {
    const { source } = REFERENCES[reference];
    const attribute = new RegExp(`(\\s(?:src|href)\\s*=\\s*["'])(?:\\./)?${source.replace('.', '\\.')}(["'])`, 'g');
    if (!attribute.test(rewritten)) {
      throw new ConsoleBuildError(`console/index.html does not reference ./${source} (as src="./${source}" or href="./${source}"): the console is built from it`);
    }
    rewritten = rewritten.replace(attribute, `$1${ASSETS_PATH}${built[reference].name}$2`);
  }
  return rewritten;
}

/** The console's Content-Security-Policy refuses inline script and style: say so at build rather than in the browser. */
function checkNoInlineCode(html: string): void {
  const inline = [/<style[\s>]/i, /<script\b(?![^>]*\ssrc\s*=)[^>]*>/i, /<[a-z][^>]*\sstyle\s*=/i, /<[a-z][^>]*\son[a-z]+\s*=/i]
    .map((pattern) => pattern.exec(html)?.[0])
    .find((found) => found !== undefined);
  if (inline !== undefined) {
    throw new ConsoleBuildError(`console/index.html has inline script or style, which the console's Content-Security-Policy refuses: ${inline.slice(0, 80)}`);
  }
}

function readSource(sourceDir: string, file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(sourceDir, file));
  } catch (error) {
    throw new ConsoleBuildError(`the console has no ${file} in ${sourceDir}`, { cause: error });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new ConsoleBuildError(`the console's ${file} is not UTF-8 text`, { cause: error });
  }
}
