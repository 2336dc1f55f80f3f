/**
 * `npm run bench:bundles`: what each Lambda function ships and how long its module takes to load.
 * Packages the service with `serverless package` (no AWS credentials needed), then for each function
 * reports the zip's size, the unzipped bundle's size, and the median time to import the bundle in a
 * fresh Node process with a stage's environment (module evaluation: a function reads and checks
 * its settings and builds its SDK clients at cold start; no request is sent).
 *
 *   npm run bench:bundles -- --runs 15
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const HTTP_BUNDLE_TARGET_BYTES = 350 * 1024;
const INIT_TARGET_MS = 150;
const HTTP_FUNCTIONS = new Set(['authorizer', 'createJob', 'listJobs', 'getJob', 'cancelJob', 'getJobLogs', 'health']);

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);

const workDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-bundles-'));
const packageDir = join(workDir, 'package');
execFileSync(process.execPath, ['node_modules/serverless/bin/serverless.js', 'package', '--stage', 'bench', '--package', packageDir], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, CI: 'true' },
});

interface Row {
  name: string;
  zipBytes: number;
  bundleBytes: number;
  initMs: number;
}

/** What serverless.yml gives the functions of a stage, with placeholder values (nothing is called). */
const STAGE_ENVIRONMENT = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  JOBS_TABLE: 'fargate-jobs-bench-jobs',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:fargate-jobs-bench-run-job',
  ECS_CLUSTER: 'fargate-jobs-bench',
  TASK_SUBNETS: 'subnet-0a1b2c3d',
  TASK_SECURITY_GROUPS: 'sg-0123456789abcdef0',
  TASK_LOG_GROUP: '/fargate-jobs/bench/tasks',
  TASK_DEFINITION_PREFIX: 'fargate-jobs-bench',
  // createJob's own settings.
  REQUEST_HASH_KEY_SECRET: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fargate-jobs-bench-request-hash-key-AbCdEf',
  MAX_ACTIVE_JOBS_PER_TOKEN: '50',
  MAX_WAITS_PER_TOKEN: '10',
};

const rows: Row[] = [];
for (const zip of readdirSync(packageDir).filter((file) => file.endsWith('.zip'))) {
  const name = zip.replace(/\.zip$/, '');
  const unzipped = join(workDir, name);
  execFileSync('unzip', ['-q', join(packageDir, zip), '-d', unzipped]);
  const bundle = findBundle(unzipped);
  rows.push({ name, zipBytes: statSync(join(packageDir, zip)).size, bundleBytes: statSync(bundle).size, initMs: medianInit(bundle) });
}
rmSync(workDir, { recursive: true, force: true });

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
console.log(`fargate-jobs Lambda bundles — ${new Date().toISOString()}, node ${process.version}, init = median of ${runs} fresh imports

| function | zipped | bundle | bundle bytes | init | within target |
| --- | --- | --- | --- | --- | --- |`);
for (const row of rows.sort((a, b) => a.name.localeCompare(b.name))) {
  const http = HTTP_FUNCTIONS.has(row.name);
  const ok = row.initMs <= INIT_TARGET_MS && (!http || row.bundleBytes <= HTTP_BUNDLE_TARGET_BYTES);
  console.log(`| ${row.name}${http ? ' (HTTP)' : ''} | ${kb(row.zipBytes)} | ${kb(row.bundleBytes)} | ${row.bundleBytes} | ${row.initMs.toFixed(0)} ms | ${ok ? 'yes' : 'NO'} |`);
}
console.log(`\nTargets: HTTP handler bundle ≤ ${kb(HTTP_BUNDLE_TARGET_BYTES)} unzipped, init ≤ ${INIT_TARGET_MS} ms.`);

function findBundle(dir: string): string {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.mjs')) return join(entry.parentPath, entry.name);
  }
  throw new Error(`no .mjs bundle in ${dir}`);
}

/** Imports the bundle in a fresh process `runs` times; the median of the measured import times. */
function medianInit(bundle: string): number {
  const script = 'const t = performance.now(); await import(process.argv[1]); console.log(performance.now() - t);';
  const samples = Array.from({ length: runs }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script, bundle], { encoding: 'utf8', env: { ...process.env, ...STAGE_ENVIRONMENT } }).trim()),
  ).sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}
