/** Where the CLI finds its API and token, and the contexts file: private, written whole, refused when others may read it. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { configPath, ConfigurationError, readConfig, resolveTarget, saveContext } from '#cli/config.ts';
import { trustProblem } from '#cli/local-server-trust.ts';

describe('the contexts file', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'fargate-jobs-cli-config-'));
    env = { XDG_CONFIG_HOME: home, FARGATE_JOBS_DATA_DIR: join(home, 'no-data') };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('lives under $XDG_CONFIG_HOME, and ~/.config without it', () => {
    assert.equal(configPath({ XDG_CONFIG_HOME: '/x' }), '/x/fargate-jobs/config.json');
    assert.match(configPath({}), /\/\.config\/fargate-jobs\/config\.json$/);
  });

  it('is written 0600 in a 0700 directory, keeping the other contexts', () => {
    // Prepare
    const path = configPath(env);

    // Act
    saveContext(path, 'dev', { url: 'https://dev.example', token: 'fjt_dev' });
    saveContext(path, 'prod', { url: 'https://prod.example', token: 'fjt_prod' });

    // Assess
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'fargate-jobs')).mode & 0o777, 0o700);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(path, 'utf8')).contexts), ['dev', 'prod']);
  });

  it('is refused when group or others may read it, saying how to fix it', () => {
    const path = configPath(env);
    saveContext(path, 'prod', { url: 'https://prod.example', token: 'fjt_prod' });
    chmodSync(path, 0o644);

    assert.throws(() => readConfig(path), (error: unknown) => error instanceof ConfigurationError && error.message.includes(`(mode 0644); make it private with: chmod 600 ${path}`));
    assert.throws(() => resolveTarget({ context: 'prod' }, env), ConfigurationError);
  });

  it('is tightened again by the next login', () => {
    const path = configPath(env);
    mkdirSync(join(home, 'fargate-jobs'), { recursive: true });
    writeFileSync(path, '{"contexts":{}}', { mode: 0o644 });

    saveContext(path, 'prod', { url: 'https://prod.example', token: 'fjt_prod' });

    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});

describe('resolveTarget', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'fargate-jobs-cli-target-'));
    mkdirSync(join(home, 'data'), { mode: 0o700 });
    writeFileSync(join(home, 'data', 'url'), 'http://127.0.0.1:3000\n', { mode: 0o600 });
    writeFileSync(join(home, 'data', 'token'), 'fjt_local\n', { mode: 0o600 });
    writeFileSync(join(home, 'data', 'server-key'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    env = { XDG_CONFIG_HOME: home, FARGATE_JOBS_DATA_DIR: join(home, 'data') };
    saveContext(configPath(env), 'prod', { url: 'https://prod.example', token: 'fjt_prod' });
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('prefers the flags, then the environment, then the context', () => {
    assert.deepEqual(pick(resolveTarget({ url: 'https://flag.example', token: 'fjt_flag' }, { ...env, FARGATE_JOBS_URL: 'https://env.example' })), ['https://flag.example', 'fjt_flag']);
    assert.deepEqual(pick(resolveTarget({}, { ...env, FARGATE_JOBS_URL: 'https://env.example', FARGATE_JOBS_TOKEN: 'fjt_env' })), ['https://env.example', 'fjt_env']);
    assert.deepEqual(pick(resolveTarget({}, { ...env, FARGATE_JOBS_CONTEXT: 'prod' })), ['https://prod.example', 'fjt_prod']);
    assert.deepEqual(pick(resolveTarget({ context: 'prod', token: 'fjt_flag' }, env)), ['https://prod.example', 'fjt_flag']);
  });

  it('with none of them, uses the local server of the data directory, once it proves it is that server', () => {
    const target = resolveTarget({}, env);

    assert.deepEqual(pick(target), ['http://127.0.0.1:3000', 'fjt_local']);
    assert.equal(typeof target.verifyServer, 'function');
  });

  it('never pairs a token given explicitly with the URL a data directory names', () => {
    for (const [choice, environment] of [
      [{ token: 'fjt_flag' }, env],
      [{}, { ...env, FARGATE_JOBS_TOKEN: 'fjt_env' }],
    ] as const) {
      assert.throws(() => resolveTarget(choice, environment), (error: unknown) => {
        return error instanceof ConfigurationError && /sent only to a URL given with it: pass --url or set FARGATE_JOBS_URL/.test(error.message);
      });
    }
  });

  it('refuses a data directory or server-key that group or others may open, saying how to fix it', () => {
    chmodSync(join(home, 'data'), 0o755);
    assert.throws(() => resolveTarget({}, env), {
      message: `${join(home, 'data')} is open to other users (mode 0755), so the server it names cannot be trusted: make it private with chmod 700 ${join(home, 'data')} (npm start does); or pass --url and --token`,
    });
    chmodSync(join(home, 'data'), 0o700);
    chmodSync(join(home, 'data', 'server-key'), 0o644);
    assert.throws(() => resolveTarget({}, env), /server-key is open to other users \(mode 0644\)/);
  });

  it('refuses a data directory that names a server but has no server-key to check it with', () => {
    rmSync(join(home, 'data', 'server-key'));
    assert.throws(() => resolveTarget({}, env), /names a server \(http:\/\/127\.0\.0\.1:3000\) but holds no server-key/);
  });

  it('never sends the local token to a URL given explicitly', () => {
    assert.deepEqual(pick(resolveTarget({ url: 'https://elsewhere.example' }, env)), ['https://elsewhere.example', undefined]);
  });

  it('names an unknown context and the ones there are', () => {
    assert.throws(() => resolveTarget({ context: 'stage' }, env), /no context 'stage' in .*\(there are: prod\); add it with: fargate-jobs login --context stage/);
  });

  it('says how to start a server when the data directory has none', () => {
    assert.throws(() => resolveTarget({}, { ...env, FARGATE_JOBS_DATA_DIR: join(home, 'empty') }), {
      message: `no fargate-jobs server found in ${join(home, 'empty')}: start one with npm start, or pass --url and --token`,
    });
  });
});

function pick(target: { url: string; token: string | undefined }): [string, string | undefined] {
  return [target.url, target.token];
}

describe('trustProblem', () => {
  const stat = (uid: number, mode: number, directory = true) => ({ uid, mode: (directory ? 0o40000 : 0o100000) | mode, isDirectory: () => directory });

  it("accepts the user's own private directory and file", () => {
    assert.equal(trustProblem('.data', stat(1000, 0o700), 1000, 'directory'), undefined);
    assert.equal(trustProblem('.data/server-key', stat(1000, 0o600, false), 1000, 'file'), undefined);
  });

  it("refuses another user's data directory, even a private one", () => {
    assert.equal(
      trustProblem('.data', stat(1001, 0o700), 1000, 'directory'),
      '.data belongs to another user (uid 1001; you are uid 1000): the CLI sends no token to the server it names',
    );
  });

  it('refuses any group or other bit, and a file where a directory belongs', () => {
    for (const mode of [0o710, 0o701, 0o750, 0o777]) assert.match(trustProblem('.data', stat(1000, mode), 1000, 'directory') ?? '', /is open to other users/);
    assert.equal(trustProblem('.data', stat(1000, 0o600, false), 1000, 'directory'), '.data is not a directory');
  });
});
