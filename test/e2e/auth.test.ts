/**
 * Tokens over HTTP on the real local server: `npm run token` (reaching the running server's store)
 * makes scoped tokens; every route but /health wants one; scope limits submit, list, read, cancel.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { ROUTES } from '#lib/http/routes.ts';
import { assertError, startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import { tokenCommand } from '../helpers/token-command.ts';

function concretePath(path: string): string {
  return path.replace('{id}', 'job-00000000000000000000000000');
}

describe('bearer tokens on the local server', () => {
  let server: LocalServerProcess;
  let echoToken: string;

  before(async () => {
    server = await startServer();
    const created = await tokenCommand(server.dataDir, ['create', '--name', 'ci', '--profiles', 'echo']);
    assert.equal(created.code, 0, created.stderr);
    echoToken = created.stdout.trim();
  });
  after(async () => {
    await server.stop();
  });

  it('prints the new token alone on stdout, keeps only its hash, and lists it by name and scope', async () => {
    // Act
    const listed = await tokenCommand(server.dataDir, ['list', '--json']);

    // Assess
    assert.match(echoToken, /^fjt_[A-Za-z0-9_-]{43}$/);
    const tokens = JSON.parse(listed.stdout) as Array<{ name: string; profiles: string[]; revokedAt?: string }>;
    assert.deepEqual(
      tokens.map((token) => [token.name, token.profiles]).sort(),
      [['ci', ['echo']], ['local', ['*']]],
    );
    assert.ok(!listed.stdout.includes(echoToken), 'list never shows a token');
    const storeFiles = readdirSync(server.dataDir).filter((name) => name.startsWith('jobs.db'));
    assert.ok(storeFiles.includes('jobs.db'), storeFiles.join(', '));
    for (const file of storeFiles) {
      assert.ok(!readFileSync(join(server.dataDir, file)).includes(echoToken), `${file} holds the token in clear`);
    }
  });

  for (const route of ROUTES.filter((candidate) => !candidate.public)) {
    it(`answers ${route.method} ${route.path} 401 without a token, with a malformed one and with an unknown one`, async () => {
      // Act
      const path = concretePath(route.path);
      const missing = await server.request(route.method, path, { token: null });
      const malformed = await server.request(route.method, path, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
      const unknown = await server.request(route.method, path, { token: `fjt_${'A'.repeat(43)}` });

      // Assess
      for (const response of [missing, malformed, unknown]) {
        assertError(response, 401, 'UNAUTHORIZED');
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      }
    });
  }

  it('answers /health without a token', async () => {
    const response = await server.request('GET', '/health', { token: null });
    assert.equal(response.status, 200);
  });

  it('runs a job of a profile in scope and refuses one outside it with 403, storing nothing', async () => {
    // Act
    const allowed = await server.request<JobDocument>('POST', '/jobs', { token: echoToken, body: { profile: 'echo', command: ['echo', 'scoped'] } });
    const refused = await server.request('POST', '/jobs', { token: echoToken, body: { profile: 'default', command: ['true'] } });
    const unknownProfile = await server.request('POST', '/jobs', { token: echoToken, body: { profile: 'nope', command: ['true'] } });
    const everything = await server.request<{ jobs: JobDocument[] }>('GET', '/jobs');

    // Assess
    assert.equal(allowed.status, 202, allowed.text);
    assert.equal(allowed.json.submittedBy, 'ci');
    const body = assertError(refused, 403, 'PROFILE_FORBIDDEN');
    assert.match(body.error.message, /token 'ci' may not use profile 'default'; it may use: echo/);
    // A scoped token learns nothing of profiles it may not use, not even whether they exist.
    assertError(unknownProfile, 403, 'PROFILE_FORBIDDEN');
    assert.deepEqual(everything.json.jobs.map((job) => job.id), [allowed.json.id]);
  });

  it('runs a job that names no profile with the one profile of a token scoped to exactly one, and with default for the others', async () => {
    // Prepare
    const two = await tokenCommand(server.dataDir, ['create', '--name', 'two-profiles', '--profiles', 'echo,default']);
    assert.equal(two.code, 0, two.stderr);

    // Act
    const scoped = await server.request<JobDocument>('POST', '/jobs', { token: echoToken, body: { command: ['echo', 'no profile named'] } });
    const everyProfile = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['echo', 'no profile named'] } });
    const twoProfiles = await server.request<JobDocument>('POST', '/jobs', { token: two.stdout.trim(), body: { command: ['echo', 'no profile named'] } });

    // Assess
    assert.equal(scoped.status, 202, scoped.text);
    assert.equal(scoped.json.profile, 'echo');
    assert.equal(everyProfile.status, 202, everyProfile.text);
    assert.equal(everyProfile.json.profile, 'default');
    assert.equal(twoProfiles.status, 202, twoProfiles.text);
    assert.equal(twoProfiles.json.profile, 'default');
  });

  it("shows, lists and cancels only the scope's jobs: another profile's job is as absent as one that does not exist", async () => {
    // Prepare
    const theirs = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['sleep', '30'] } });
    const mine = await server.request<JobDocument>('POST', '/jobs', { token: echoToken, body: { profile: 'echo', command: ['echo', 'mine'] } });
    assert.equal(theirs.status, 202, theirs.text);
    assert.equal(mine.status, 202, mine.text);

    // Act
    const get = await server.request('GET', `/jobs/${theirs.json.id}`, { token: echoToken });
    const logs = await server.request('GET', `/jobs/${theirs.json.id}/logs`, { token: echoToken });
    const cancel = await server.request('DELETE', `/jobs/${theirs.json.id}`, { token: echoToken });
    const listed = await server.request<{ jobs: JobDocument[] }>('GET', '/jobs', { token: echoToken });
    const listedOther = await server.request('GET', '/jobs?profile=default', { token: echoToken });
    const own = await server.request<JobDocument>('GET', `/jobs/${mine.json.id}`, { token: echoToken });

    // Assess
    assertError(get, 404, 'JOB_NOT_FOUND');
    assertError(logs, 404, 'JOB_NOT_FOUND');
    assertError(cancel, 404, 'JOB_NOT_FOUND');
    assert.ok(listed.json.jobs.length > 0);
    assert.ok(listed.json.jobs.every((job) => job.profile === 'echo'), JSON.stringify(listed.json.jobs.map((job) => job.profile)));
    assertError(listedOther, 403, 'PROFILE_FORBIDDEN');
    assert.equal(own.status, 200);
    const stillRunning = await server.request<JobDocument>('GET', `/jobs/${theirs.json.id}`);
    assert.notEqual(stillRunning.json.status, 'CANCELLED', 'the out-of-scope cancel did nothing');
    await server.request('DELETE', `/jobs/${theirs.json.id}`);
  });

  it('refuses a revoked token with 401 at once, and refuses to revoke a name twice', async () => {
    // Prepare
    const created = await tokenCommand(server.dataDir, ['create', '--name', 'short-lived', '--profiles', '*']);
    const token = created.stdout.trim();
    const before = await server.request('GET', '/jobs', { token });

    // Act
    const revoked = await tokenCommand(server.dataDir, ['revoke', '--name', 'short-lived']);
    const afterRevoke = await server.request('GET', '/jobs', { token });
    const again = await tokenCommand(server.dataDir, ['revoke', '--name', 'short-lived']);

    // Assess
    assert.equal(before.status, 200);
    assert.equal(revoked.code, 0, revoked.stderr);
    assertError(afterRevoke, 401, 'UNAUTHORIZED');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no active token is named 'short-lived'/);
  });

  it('refuses a token for a profile the local mode does not have, and a second active token of the same name', async () => {
    // Act
    const unknownProfile = await tokenCommand(server.dataDir, ['create', '--name', 'typo', '--profiles', 'defualt']);
    const duplicate = await tokenCommand(server.dataDir, ['create', '--name', 'ci', '--profiles', 'echo']);

    // Assess
    assert.equal(unknownProfile.code, 1);
    assert.match(unknownProfile.stderr, /unknown profile 'defualt'; the profiles here are: default, echo \(or \* for all\)/);
    assert.equal(unknownProfile.stdout, '');
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /an active token is already named 'ci'/);
  });
});

describe('the local token across restarts', () => {
  it("warns on revoking the server's own token (local) that a restart makes a new one, which it then does", async (context) => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-auth-'));
    context.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startServer({ dataDir });

    // Act
    let revoked;
    try {
      revoked = await tokenCommand(dataDir, ['revoke', '--name', 'local']);
      assertError(await first.request('GET', '/jobs'), 401, 'UNAUTHORIZED');
    } finally {
      await first.stop();
    }
    const second = await startServer({ dataDir });
    try {
      const withNewToken = await second.request('GET', '/jobs');

      // Assess
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stderr, /'local' is the local server's own token, the one `npm start` printed/);
      assert.match(revoked.stderr, /Restart `npm start` to get a new one/);
      assert.notEqual(second.token, first.token);
      assert.equal(withNewToken.status, 200, withNewToken.text);
    } finally {
      await second.stop();
    }
  });

  it('keeps the printed token working after a restart, and the tokens made with npm run token too', async (context) => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-auth-'));
    context.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startServer({ dataDir });
    const { stdout } = await tokenCommand(dataDir, ['create', '--name', 'ci', '--profiles', 'default']);
    const ciToken = stdout.trim();
    await first.stop();

    // Act
    const second = await startServer({ dataDir });
    try {
      const withLocal = await second.request('GET', '/jobs');
      const withCi = await second.request('GET', '/jobs', { token: ciToken });

      // Assess
      assert.equal(second.token, first.token);
      assert.equal(withLocal.status, 200);
      assert.equal(withCi.status, 200);
    } finally {
      await second.stop();
    }
  });
});
