/**
 * Every `npm run bench:*` script runs once, in its quick mode (`--quick`: tiny counts), and prints
 * its results: a bench that falls behind the code (a setting it does not give, an option renamed)
 * fails here rather than when someone next measures. The numbers of a quick run are not checked.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** bench:bundles packages the service first (10-30 s); the others take a few seconds. */
const BENCH_TIMEOUT_MS = 240_000;

/** A line of each bench's results that a run which got to the end prints. */
const RESULT_LINES: Record<string, RegExp[]> = {
  'bench:local': [/^jobs: 4 × \[true\], 2 at a time$/m, /^\| jobs per second \| \d+(\.\d)? \|$/m],
  'bench:bundles': [
    /^\| createJob \(HTTP\) \| \d+ KB \| \d+ KB \| \d+ \| \d+ ms \| (yes|NO) \|$/m,
    /^\| notifyFinished \| \d+ KB/m,
    /^\| pollTask \| \d+ KB/m,
    // The schedules API is held to the HTTP targets; the fire function (invoked by Scheduler) to the init target.
    /^\| schedules \(HTTP\) \| \d+ KB/m,
    /^\| fireSchedule \| \d+ KB/m,
  ],
  'bench:cli': [/^\| `fargate-jobs --version` start-up \(bin, median of 1\) \| \d+ ms \|$/m, /exit code 0\) \|$/m],
  'bench:workflow': [/^\| 1-minute job \| \d+ → \*\*\d+\*\* \|/m, /over 5 events\.$/m],
  'bench:archive': [/^\| 20,000 \| ~[\d.]+ MB \| [\d.]+ MB \| \d+ \| 1 \| [\d.]+ s \|/m, /^The stand-in S3 got 2 requests/m],
  'bench:log-reads': [/^\| CloudWatch \(GetLogEvents\) \| 3 \| 2500 \| \d+ \|/m, /^\| archive \(S3 GetObject\) \| 3 \| 2500 \| \d+ \|/m],
};

const scripts = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
const benchScripts = Object.keys(scripts).filter((name) => name.startsWith('bench:'));

/** The environment of a bench run: no AWS credentials or configuration to find, no prompts. */
function benchEnvironment(): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && name !== 'NODE_TEST_CONTEXT'));
  return { ...inherited, CI: 'true', AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' };
}

describe('the bench scripts, in quick mode', () => {
  it('has a check for every bench:* script of package.json', () => {
    // Assess
    assert.ok(benchScripts.length > 0, 'package.json has bench:* scripts');
    assert.deepEqual(benchScripts.toSorted(), Object.keys(RESULT_LINES).toSorted());
  });

  it('`npm run bench` is the bench:* scripts, each once', () => {
    // Assess
    const commands = (scripts.bench ?? '').split(' && ');
    assert.deepEqual(commands.toSorted(), benchScripts.map((name) => scripts[name]).toSorted());
  });

  for (const name of benchScripts) {
    it(`${name} -- --quick exits 0 and prints its results`, { timeout: BENCH_TIMEOUT_MS }, async () => {
      // Act
      const { stdout } = await run('npm', ['run', '--silent', name, '--', '--quick'], { cwd: ROOT, env: benchEnvironment(), timeout: BENCH_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }).catch(
        (error: { code?: unknown; stdout?: string; stderr?: string }) => assert.fail(`${name} failed (${String(error.code)}):\n${error.stdout ?? ''}\n${error.stderr ?? ''}`),
      );

      // Assess
      for (const line of RESULT_LINES[name] ?? []) assert.match(stdout, line);
    });
  }
});
