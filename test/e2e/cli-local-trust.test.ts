/**
 * The local token goes only to the server of the data directory. `<data dir>/url` says where that
 * server listened, not that it still does: after a `kill -9` another local user can bind the freed
 * port and log the `Authorization` header of whatever the CLI sends. Each test here plays that
 * attacker with a recorder on the address the data directory names, and checks that no token
 * reaches it and that the CLI says why, at once.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it, type TestContext } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { runCli } from '../helpers/cli.ts';
import { closeServer } from '../helpers/http-server.ts';
import { startServer } from '../helpers/local-server.ts';
import { acceptsConnections } from '../helpers/npm-start.ts';

interface Recorder {
  url: string;
  /** The Authorization header of every request it got ('' for none). */
  authorizations: string[];
}

/** A plain HTTP server that answers everything 200 `{}` and records what it was sent, as a thief would. */
async function startRecorder(context: TestContext, port = 0): Promise<Recorder> {
  const authorizations: string[] = [];
  const server: Server = createServer((request, response) => {
    authorizations.push(request.headers.authorization ?? '');
    response.setHeader('content-type', 'application/json');
    response.end('{"status":"ok"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  context.after(() => closeServer(server));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, authorizations };
}

function scratchDir(context: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'fargate-jobs-trust-'));
  context.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A data directory as npm start leaves it (0700, 0600 files), naming `url`. */
function dataDirNaming(context: TestContext, url: string): string {
  const dataDir = scratchDir(context);
  chmodSync(dataDir, 0o700);
  writeFileSync(join(dataDir, 'url'), `${url}\n`, { mode: 0o600 });
  writeFileSync(join(dataDir, 'token'), `fjt_${'L'.repeat(43)}\n`, { mode: 0o600 });
  writeFileSync(join(dataDir, 'server-key'), `${'5a'.repeat(32)}\n`, { mode: 0o600 });
  return dataDir;
}

describe('the local token and a port freed by kill -9', () => {
  it('goes to no program that took the port: the CLI exits 1 saying the server of the data directory is gone', async (context) => {
    // Prepare: a server killed with kill -9 leaves its url file; another user binds its port.
    const dataDir = scratchDir(context);
    const server = await startServer({ dataDir });
    const port = Number(new URL(server.url).port);
    await server.kill();
    assert.ok(existsSync(join(dataDir, 'url')), 'kill -9 leaves the url file behind');
    const thief = await startRecorder(context, port);

    // Act
    const results = [await runCli(['status', 'job-1'], { env: { FARGATE_JOBS_DATA_DIR: dataDir } }), await runCli(['run', '--', 'true'], { env: { FARGATE_JOBS_DATA_DIR: dataDir } })];

    // Assess
    assert.ok(thief.authorizations.length >= 2, 'the CLI did reach the program on the port');
    assert.deepEqual(thief.authorizations.filter((header) => header !== ''), [], 'no token was sent');
    for (const result of results) {
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`the program listening at ${thief.url} is not the fargate-jobs server of ${dataDir} .*the token was not sent to it.*npm start`));
      assert.doesNotMatch(result.stderr, /TypeError|\n\s+at /);
    }
  });

  it('with nothing on the port, stops at once naming the address and npm start', async (context) => {
    // Prepare
    const dataDir = scratchDir(context);
    const server = await startServer({ dataDir });
    await server.kill();

    // Act
    const startedAt = performance.now();
    const result = await runCli(['list'], { env: { FARGATE_JOBS_DATA_DIR: dataDir } });
    const elapsedMs = performance.now() - startedAt;

    // Assess: a refused connection is not retried for a minute (time enough for someone to take the port).
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`could not reach ${server.url}: connection refused; the local server of ${dataDir} \\(${server.url}\\) is not running: start it with npm start`));
    assert.ok(elapsedMs < 5000, `gave up after ${Math.round(elapsedMs)} ms`);
  });

  it('is removed from the url file before the stopping server frees its port', async (context) => {
    // Prepare: a job that ignores SIGTERM keeps the server stopping for its grace period.
    const dataDir = scratchDir(context);
    const server = await startServer({ dataDir });
    const submitted = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['sh', '-c', "trap '' TERM; echo started; while :; do sleep 1; done"] } });
    assert.equal(submitted.status, 202, submitted.text);
    await server.waitForJob(submitted.json.id, (job) => job.status === 'RUNNING');
    const port = Number(new URL(server.url).port);

    // Act
    const stopped = server.stop();
    while (await acceptsConnections(port)) await delay(10);
    const urlFileWhenPortFreed = existsSync(join(dataDir, 'url'));
    await stopped;

    // Assess
    assert.equal(urlFileWhenPortFreed, false, 'the url file still named the port after it was freed');
  });
});

describe('a data directory the CLI does not trust', () => {
  it('never gets a token given with FARGATE_JOBS_TOKEN or --token: that needs --url', async (context) => {
    // Prepare: a folder whose .data names someone else's listener.
    const other = await startRecorder(context);
    const dataDir = dataDirNaming(context, other.url);

    // Act
    const fromEnv = await runCli(['status', 'job-1'], { env: { FARGATE_JOBS_DATA_DIR: dataDir, FARGATE_JOBS_TOKEN: 'fjt_mine' } });
    const fromFlag = await runCli(['status', 'job-1', '--token', 'fjt_mine'], { env: { FARGATE_JOBS_DATA_DIR: dataDir } });

    // Assess
    assert.deepEqual(other.authorizations, [], 'nothing was sent at all');
    for (const result of [fromEnv, fromFlag]) {
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /a token given with --token or FARGATE_JOBS_TOKEN is sent only to a URL given with it: pass --url or set FARGATE_JOBS_URL/);
    }
  });

  it('is refused when group or others may open it, before anything is sent', async (context) => {
    // Prepare
    const other = await startRecorder(context);
    const dataDir = dataDirNaming(context, other.url);
    chmodSync(dataDir, 0o755);

    // Act
    const result = await runCli(['list'], { env: { FARGATE_JOBS_DATA_DIR: dataDir } });

    // Assess
    assert.deepEqual(other.authorizations, []);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`${dataDir} is open to other users \\(mode 0755\\).*chmod 700 ${dataDir}`));
  });

  it('naming a server that cannot prove it holds the key gets no token', async (context) => {
    // Prepare: the data directory's own files, but the url names another listener.
    const other = await startRecorder(context);
    const dataDir = dataDirNaming(context, other.url);

    // Act
    const result = await runCli(['run', '--', 'true'], { env: { FARGATE_JOBS_DATA_DIR: dataDir } });

    // Assess
    assert.equal(other.authorizations.length, 1, 'only the challenge was sent');
    assert.deepEqual(other.authorizations, ['']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /is not the fargate-jobs server of/);
  });
});
