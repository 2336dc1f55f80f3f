/**
 * `npm run bench:bundles`: what each Lambda function ships and how long its module takes to load.
 * Packages the service with `serverless package` (no AWS credentials needed), then for each function
 * reports the zip's size, the unzipped bundle's size, and the median time to import the bundle in a
 * fresh Node process with a stage's environment (module evaluation: a function reads and checks
 * its settings and builds its SDK clients at cold start; no request is sent).
 *
 * Each function gets the environment the packaged template gives it (bench/template-environment.ts).
 *
 *   npm run bench:bundles -- --runs 15
 *   npm run bench:bundles -- --quick     (one import each: checks every bundle loads, measures little)
 *   npm run bench:bundles -- --packageDir <dir>   (an existing `serverless package --package <dir>` output)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchOptions } from './options.ts';
import { functionEnvironments, RUNTIME_ENVIRONMENT } from './template-environment.ts';

const HTTP_BUNDLE_TARGET_BYTES = 350 * 1024;
/** HTTP functions with a target of their own (test/unit/deployment.test.ts says why). */
const BUNDLE_TARGET_BYTES: Record<string, number> = { schedules: 400 * 1024, getJobLogs: 560 * 1024 };
const INIT_TARGET_MS = 150;
/** The functions behind a route (and the authorizer before them); console's bundle holds the web console's files. */
const HTTP_FUNCTIONS = new Set(['authorizer', 'createJob', 'listJobs', 'listProfiles', 'getJob', 'cancelJob', 'execJob', 'getJobLogs', 'schedules', 'health', 'console']);

const { values } = benchOptions({ runs: '15', packageDir: '' }, { runs: '1', packageDir: '' });
const runs = Number(values.runs);

const workDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-bundles-'));
const packageDir = values.packageDir || join(workDir, 'package');
if (!values.packageDir) {
  execFileSync(process.execPath, ['node_modules/serverless/bin/serverless.js', 'package', '--stage', 'bench', '--package', packageDir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CI: 'true' },
  });
}
const environments = functionEnvironments(JSON.parse(readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')));

interface Row {
  name: string;
  zipBytes: number;
  bundleBytes: number;
  initMs: number;
}

const rows: Row[] = [];
for (const zip of readdirSync(packageDir).filter((file) => file.endsWith('.zip'))) {
  const name = zip.replace(/\.zip$/, '');
  const unzipped = join(workDir, name);
  execFileSync('unzip', ['-q', join(packageDir, zip), '-d', unzipped]);
  const bundle = findBundle(unzipped);
  const environment = environments.get(name);
  if (environment === undefined) throw new Error(`the packaged template has no function whose code is ${zip}`);
  rows.push({ name, zipBytes: statSync(join(packageDir, zip)).size, bundleBytes: statSync(bundle).size, initMs: medianInit(bundle, environment) });
}
rmSync(workDir, { recursive: true, force: true });

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
console.log(`fargate-jobs Lambda bundles — ${new Date().toISOString()}, node ${process.version}, init = median of ${runs} fresh imports

| function | zipped | bundle | bundle bytes | init | within target |
| --- | --- | --- | --- | --- | --- |`);
for (const row of rows.sort((a, b) => a.name.localeCompare(b.name))) {
  const http = HTTP_FUNCTIONS.has(row.name);
  const ok = row.initMs <= INIT_TARGET_MS && (!http || row.bundleBytes <= (BUNDLE_TARGET_BYTES[row.name] ?? HTTP_BUNDLE_TARGET_BYTES));
  console.log(`| ${row.name}${http ? ' (HTTP)' : ''} | ${kb(row.zipBytes)} | ${kb(row.bundleBytes)} | ${row.bundleBytes} | ${row.initMs.toFixed(0)} ms | ${ok ? 'yes' : 'NO'} |`);
}
const exceptions = Object.entries(BUNDLE_TARGET_BYTES).map(([name, bytes]) => `${name} ≤ ${kb(bytes)}`).join(', ');
console.log(`\nTargets: HTTP handler bundle ≤ ${kb(HTTP_BUNDLE_TARGET_BYTES)} unzipped (${exceptions}), init ≤ ${INIT_TARGET_MS} ms.`);

function findBundle(dir: string): string {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.mjs')) return join(entry.parentPath, entry.name);
  }
  throw new Error(`no .mjs bundle in ${dir}`);
}

/** Imports the bundle in a fresh process `runs` times; the median of the measured import times. */
function medianInit(bundle: string, environment: Record<string, string>): number {
  const script = 'const t = performance.now(); await import(process.argv[1]); console.log(performance.now() - t);';
  const samples = Array.from({ length: runs }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script, bundle], { encoding: 'utf8', env: { ...process.env, ...RUNTIME_ENVIRONMENT, ...environment } }).trim()),
  ).sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}
