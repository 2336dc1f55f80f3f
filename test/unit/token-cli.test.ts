/**
 * `npm run token` (cli/token.ts, through runTokenCommand): against a stage's DynamoDB table with the
 * document client mocked (aws-sdk-client-mock), and in local mode against a data directory's
 * jobs.db, which the command opens and closes again.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { runTokenCommand, type TokenCommandIo } from '#cli/token.ts';
import { LOCAL_SERVER_TOKEN_NAME, TOKEN_PATTERN, TokenService } from '#lib/domain/tokens.ts';
import type { TokenRecord } from '#lib/domain/ports.ts';
import { openJobsDatabase } from '#lib/adapters/local/sqlite-database.ts';
import { SqliteTokenStore } from '#lib/adapters/local/sqlite-token-store.ts';

const STAGE_TABLE = 'fargate-jobs-dev-jobs';
const STAGE = ['--stage', 'dev', '--region', 'eu-west-1'];

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A command's terminal: what it printed where, and the regions it made DynamoDB clients for. */
interface Terminal {
  io: TokenCommandIo;
  stdout: string[];
  stderr: string[];
  clientRegions: string[];
}

function aTerminal(env: NodeJS.ProcessEnv): Terminal {
  const terminal: Terminal = {
    stdout: [],
    stderr: [],
    clientRegions: [],
    io: {
      stdout: (text) => terminal.stdout.push(text),
      stderr: (text) => terminal.stderr.push(text),
      env,
      dynamoDbClient: (region) => {
        terminal.clientRegions.push(region);
        return new DynamoDBClient({ region, credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'example' } });
      },
    },
  };
  return terminal;
}

/** A token item as the stage table holds it. */
function storedItem(record: TokenRecord) {
  return { ...record, pk: `TOKEN#${record.hash}`, sk: 'TOKEN', gsi1pk: 'TOKENS', gsi1sk: `${record.createdAt}#${record.hash}` };
}

/** The item that holds the name of the stage's active token `record`. */
function nameItem(record: TokenRecord) {
  return { pk: `TOKENNAME#${record.name}`, sk: 'TOKEN', hash: record.hash };
}

function mockDocumentClient() {
  return mockClient(DynamoDBDocumentClient);
}

describe('npm run token against a stage (--stage)', () => {
  let dynamodb: ReturnType<typeof mockDocumentClient>;
  let dataDir: string;
  before(async () => {
    // The stores send through the document client; mocked for this suite only, local mode needs the real one.
    dynamodb = mockDocumentClient();
    // Where local mode would open a store if a usage check let a command through: never the repository's .data.
    dataDir = await mkdtemp(join(tmpdir(), 'token-cli-stage-'));
  });
  beforeEach(() => {
    dynamodb.reset();
  });
  after(async () => {
    dynamodb.restore();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('create', () => {
    it('claims the name and puts the token item in fargate-jobs-<stage>-jobs in the given region, and prints the token alone on stdout', async () => {
      // Prepare
      dynamodb.on(PutCommand).resolves({});
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['create', '--name', 'ci', '--profiles', 'default,ssh', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 0);
      assert.equal(terminal.stdout.length, 1);
      const printed = terminal.stdout[0] ?? '';
      assert.match(printed, /^fjt_[A-Za-z0-9_-]{43}\n$/);
      const token = printed.trimEnd();
      assert.match(token, TOKEN_PATTERN);
      assert.deepEqual(terminal.clientRegions, ['eu-west-1']);
      const puts = dynamodb.commandCalls(PutCommand).map((call) => call.args[0].input);
      assert.equal(puts.length, 2);
      const [claim, put] = puts;
      assert.equal(claim?.TableName, STAGE_TABLE);
      assert.deepEqual(claim?.Item, { pk: 'TOKENNAME#ci', sk: 'TOKEN', hash: sha256(token) });
      assert.equal(put?.TableName, STAGE_TABLE);
      assert.equal(put?.Item?.hash, sha256(token));
      assert.equal(put?.Item?.pk, `TOKEN#${sha256(token)}`);
      assert.equal(put?.Item?.name, 'ci');
      assert.deepEqual(put?.Item?.profiles, ['default', 'ssh']);
      assert.ok(!JSON.stringify(puts).includes(token.slice('fjt_'.length)), 'the Puts carry the hash, never the token');
      assert.deepEqual(dynamodb.commandCalls(QueryCommand), [], 'the name is checked by the conditional Put, not by listing');
      const stderr = terminal.stderr.join('');
      assert.match(stderr, /Created token 'ci' \(stage 'dev', table fargate-jobs-dev-jobs in eu-west-1\) for profiles: default, ssh\./);
      assert.match(stderr, /shown only this once/);
      assert.ok(!stderr.includes(token));
    });

    it('--max-active stores the limit on the token item and says so', async () => {
      // Prepare
      dynamodb.on(PutCommand).resolves({});
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['create', '--name', 'nightly', '--profiles', 'default', '--max-active', '3', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 0);
      const put = dynamodb.commandCalls(PutCommand).map((call) => call.args[0].input).find((input) => String(input.Item?.pk).startsWith('TOKEN#'));
      assert.equal(put?.Item?.maxActiveJobs, 3);
      assert.match(terminal.stderr.join(''), /for profiles: default, at most 3 active job\(s\) at once\./);
    });

    it('takes the region from AWS_REGION when --region is not given', async () => {
      // Prepare
      dynamodb.on(PutCommand).resolves({});
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir, AWS_REGION: 'ap-southeast-2' });

      // Act
      const code = await runTokenCommand(['create', '--name', 'ci', '--profiles', '*', '--stage', 'prod'], terminal.io);

      // Assess
      assert.equal(code, 0);
      assert.deepEqual(terminal.clientRegions, ['ap-southeast-2']);
      assert.deepEqual(dynamodb.commandCalls(PutCommand).map((call) => call.args[0].input.TableName), ['fargate-jobs-prod-jobs', 'fargate-jobs-prod-jobs']);
    });

    it('refuses a profile the stage does not have: exit 1, the reason on stderr, nothing written', async () => {
      // Prepare
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['create', '--name', 'ci', '--profiles', 'default,gpu', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 1);
      assert.deepEqual(terminal.stdout, []);
      const stderr = terminal.stderr.join('');
      assert.equal(stderr, "fargate-jobs: unknown profile 'gpu'; the profiles here are: default, ssh (or * for all)\n");
      assert.deepEqual(dynamodb.calls(), []);
    });

    it('refuses a name an active token of the stage holds: exit 1, no token item written', async () => {
      // Prepare
      dynamodb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }));
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['create', '--name', 'ci', '--profiles', 'default', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 1);
      assert.deepEqual(terminal.stdout, []);
      assert.match(terminal.stderr.join(''), /an active token is already named 'ci'/);
      assert.deepEqual(dynamodb.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.pk), ['TOKENNAME#ci']);
      assert.deepEqual(dynamodb.commandCalls(DeleteCommand), [], 'the name item it failed to claim is not its to delete');
    });

    it('reports a DynamoDB failure on stderr with the stage and exits 1', async () => {
      // Prepare
      dynamodb.on(PutCommand).rejects(
        new DynamoDBServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          message: 'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: dynamodb:PutItem',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['create', '--name', 'ci', '--profiles', 'default', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 1);
      assert.deepEqual(terminal.stdout, []);
      assert.match(terminal.stderr.join(''), /create failed on stage 'dev', table fargate-jobs-dev-jobs in eu-west-1: User: .* is not authorized to perform: dynamodb:PutItem/);
    });
  });

  describe('list', () => {
    const active: TokenRecord = { hash: sha256('active'), name: 'deploy', profiles: ['default', 'ssh'], createdAt: '2030-01-02T00:00:00.000Z' };
    const revoked: TokenRecord = { hash: sha256('revoked'), name: 'ci', profiles: ['*'], maxActiveJobs: 5, createdAt: '2030-01-01T00:00:00.000Z', revokedAt: '2030-01-03T00:00:00.000Z' };

    it('--json prints the tokens newest first without their hashes', async () => {
      // Prepare
      dynamodb.on(QueryCommand).resolves({ Items: [storedItem(active), { ...storedItem(revoked), expiresAt: 1_900_000_000 }] });
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['list', '--json', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 0);
      const stdout = terminal.stdout.join('');
      assert.deepEqual(JSON.parse(stdout), [
        { name: 'deploy', profiles: ['default', 'ssh'], createdAt: '2030-01-02T00:00:00.000Z' },
        { name: 'ci', profiles: ['*'], maxActiveJobs: 5, createdAt: '2030-01-01T00:00:00.000Z', revokedAt: '2030-01-03T00:00:00.000Z' },
      ]);
      assert.ok(!stdout.includes(active.hash) && !stdout.includes(revoked.hash));
      assert.equal(dynamodb.commandCalls(QueryCommand)[0]?.args[0].input.TableName, STAGE_TABLE);
    });

    it('prints a table with - for tokens not revoked', async () => {
      // Prepare
      dynamodb.on(QueryCommand).resolves({ Items: [storedItem(active), storedItem(revoked)] });
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['list', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 0);
      assert.deepEqual(terminal.stdout.join('').split('\n'), [
        'NAME    PROFILES     MAX ACTIVE  CREATED                   REVOKED',
        'deploy  default,ssh  -           2030-01-02T00:00:00.000Z  -',
        'ci      *            5           2030-01-01T00:00:00.000Z  2030-01-03T00:00:00.000Z',
        '',
      ]);
    });
  });

  describe('revoke', () => {
    const active: TokenRecord = { hash: sha256('active'), name: 'ci', profiles: ['default'], createdAt: '2030-01-01T00:00:00.000Z' };

    /** The stage holds `active` under its name; revoking it answers the revoked item. */
    function anActiveToken() {
      dynamodb.on(GetCommand).resolves({ Item: nameItem(active) });
      dynamodb.on(UpdateCommand).resolves({ Attributes: { ...storedItem(active), revokedAt: '2030-02-01T00:00:00.000Z', expiresAt: 1_908_000_000 } });
      dynamodb.on(DeleteCommand).resolves({});
    }

    it('revokes in the table --table names instead of the stage default', async () => {
      // Prepare
      anActiveToken();
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['revoke', '--name', 'ci', ...STAGE, '--table', 'jobs-restored'], terminal.io);

      // Assess
      assert.equal(code, 0);
      assert.deepEqual(
        dynamodb.calls().map((call) => (call.args[0].input as { TableName?: string }).TableName),
        ['jobs-restored', 'jobs-restored', 'jobs-restored'],
      );
    });

    it('reads the name, revokes its token, frees the name and warns that the API Gateway authorizer cache may accept it for up to 30 s more', async () => {
      // Prepare
      anActiveToken();
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['revoke', '--name', 'ci', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 0);
      const get = dynamodb.commandCalls(GetCommand)[0]?.args[0].input;
      assert.deepEqual(get, { TableName: STAGE_TABLE, Key: { pk: 'TOKENNAME#ci', sk: 'TOKEN' }, ConsistentRead: true });
      const update = dynamodb.commandCalls(UpdateCommand)[0]?.args[0].input;
      assert.equal(update?.TableName, STAGE_TABLE);
      assert.deepEqual(update?.Key, { pk: `TOKEN#${active.hash}`, sk: 'TOKEN' });
      const freed = dynamodb.commandCalls(DeleteCommand)[0]?.args[0].input;
      assert.equal(freed?.TableName, STAGE_TABLE);
      assert.deepEqual(freed?.Key, { pk: 'TOKENNAME#ci', sk: 'TOKEN' });
      assert.match(terminal.stderr.join(''), /Revoked token 'ci' \(stage 'dev'.*may accept it for up to 30 s more/);
    });

    it("says nothing of the local server when a stage's token happens to be named local", async () => {
      // Prepare
      const named = { ...active, name: 'local' };
      dynamodb.on(GetCommand).resolves({ Item: nameItem(named) });
      dynamodb.on(UpdateCommand).resolves({ Attributes: { ...storedItem(named), revokedAt: '2030-02-01T00:00:00.000Z', expiresAt: 1_908_000_000 } });
      dynamodb.on(DeleteCommand).resolves({});
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['revoke', '--name', 'local', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 0);
      assert.match(terminal.stderr.join(''), /Revoked token 'local' \(stage 'dev'/);
      assert.doesNotMatch(terminal.stderr.join(''), /npm start/);
    });

    it('exits 1 with a clear message for a name no active token has, and writes nothing', async () => {
      // Prepare
      dynamodb.on(GetCommand).resolves({});
      const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

      // Act
      const code = await runTokenCommand(['revoke', '--name', 'ghost', ...STAGE], terminal.io);

      // Assess
      assert.equal(code, 1);
      assert.deepEqual(terminal.stdout, []);
      assert.match(terminal.stderr.join(''), /no active token is named 'ghost'/);
      assert.deepEqual(dynamodb.commandCalls(UpdateCommand), []);
      assert.deepEqual(dynamodb.commandCalls(DeleteCommand), []);
    });
  });

  describe('usage errors exit 2 with the usage on stderr and reach no store', () => {
    const cases: { why: string; argv: string[]; says: RegExp }[] = [
      { why: 'no command', argv: [...STAGE], says: /no command given/ },
      { why: 'an unknown command', argv: ['rotate', '--name', 'ci', ...STAGE], says: /unknown command 'rotate'/ },
      { why: 'an extra argument', argv: ['list', 'everything', ...STAGE], says: /unknown command 'list everything'/ },
      { why: 'create without --name', argv: ['create', '--profiles', 'default', ...STAGE], says: /create needs --name/ },
      { why: 'create without --profiles', argv: ['create', '--name', 'ci', ...STAGE], says: /create needs --profiles/ },
      { why: 'revoke without --name', argv: ['revoke', ...STAGE], says: /revoke needs --name/ },
      { why: '--region without --stage', argv: ['list', '--region', 'eu-west-1'], says: /--region and --table need --stage/ },
      { why: '--table without --stage', argv: ['list', '--table', 'jobs'], says: /--region and --table need --stage/ },
      { why: 'an unknown flag', argv: ['list', '--verbose', ...STAGE], says: /Unknown option '--verbose'/ },
      { why: 'a flag without its value', argv: ['create', '--profiles', 'default', ...STAGE, '--name'], says: /--name/ },
      { why: '--max-active that is no whole number', argv: ['create', '--name', 'ci', '--profiles', '*', '--max-active', '2.5', ...STAGE], says: /--max-active must be a whole number of at least 1, got '2.5'/ },
      { why: '--max-active 0', argv: ['create', '--name', 'ci', '--profiles', '*', '--max-active', '0', ...STAGE], says: /--max-active must be a whole number of at least 1, got '0'/ },
      { why: '--max-active on list', argv: ['list', '--max-active', '3', ...STAGE], says: /--max-active goes with create/ },
    ];
    for (const { why, argv, says } of cases) {
      it(`for ${why}`, async () => {
        // Prepare
        const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

        // Act
        const code = await runTokenCommand(argv, terminal.io);

        // Assess
        assert.equal(code, 2);
        assert.deepEqual(terminal.stdout, []);
        const stderr = terminal.stderr.join('');
        assert.match(stderr, says);
        assert.match(stderr, /usage:\n {2}npm run token -- create/);
        assert.deepEqual(terminal.clientRegions, []);
        assert.deepEqual(dynamodb.calls(), []);
        assert.ok(!existsSync(join(dataDir, 'db')), 'the local store was not opened');
      });
    }
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    // Prepare
    const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

    // Act
    const code = await runTokenCommand(['--help'], terminal.io);

    // Assess
    assert.equal(code, 0);
    assert.match(terminal.stdout.join(''), /^usage:/);
    assert.deepEqual(terminal.stderr, []);
  });
});

describe('npm run token in local mode (FARGATE_JOBS_DATA_DIR, no server running)', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'token-cli-local-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The directory's tokens as the local server reads them, the file closed again after `use`. */
  async function withLocalTokens<T>(use: (tokens: TokenService) => Promise<T>): Promise<T> {
    const database = openJobsDatabase(dataDir);
    try {
      return await use(new TokenService({ store: new SqliteTokenStore({ database }) }));
    } finally {
      database.close();
    }
  }

  function authenticateLocally(token: string) {
    return withLocalTokens((tokens) => tokens.authenticate(`Bearer ${token}`));
  }

  it('creates, lists and revokes tokens in the directory\'s jobs.db, opening and closing it for each command', async () => {
    // Prepare
    const env = { FARGATE_JOBS_DATA_DIR: dataDir };
    const created = aTerminal(env);
    const listed = aTerminal(env);
    const revoked = aTerminal(env);
    const listedAgain = aTerminal(env);

    // Act
    const createCode = await runTokenCommand(['create', '--name', 'laptop', '--profiles', 'default'], created.io);
    const token = created.stdout.join('').trimEnd();
    const whileActive = await authenticateLocally(token);
    const listCode = await runTokenCommand(['list', '--json'], listed.io);
    const revokeCode = await runTokenCommand(['revoke', '--name', 'laptop'], revoked.io);
    const listAgainCode = await runTokenCommand(['list', '--json'], listedAgain.io);
    const afterRevoke = await authenticateLocally(token);

    // Assess
    assert.deepEqual([createCode, listCode, revokeCode, listAgainCode], [0, 0, 0, 0], [created, listed, revoked, listedAgain].map((terminal) => terminal.stderr.join('')).join(''));
    assert.match(token, TOKEN_PATTERN);
    assert.ok(created.stderr.join('').includes(`Created token 'laptop' (local mode in ${dataDir})`), created.stderr.join(''));
    assert.deepEqual(whileActive, { authenticated: true, caller: { name: 'laptop', profiles: ['default'] } });
    const [listedBefore] = JSON.parse(listed.stdout.join('')) as TokenRecord[];
    assert.equal(listedBefore?.name, 'laptop');
    assert.equal(listedBefore?.revokedAt, undefined);
    assert.doesNotMatch(revoked.stderr.join(''), /authorizer cache/);
    assert.doesNotMatch(revoked.stderr.join(''), /npm start/, 'only the local server\'s own token is worth a warning');
    const [afterwards] = JSON.parse(listedAgain.stdout.join('')) as TokenRecord[];
    assert.equal(afterwards?.name, 'laptop');
    assert.ok(afterwards?.revokedAt);
    assert.deepEqual(afterRevoke, { authenticated: false, failure: 'REVOKED' });
    assert.ok(existsSync(join(dataDir, 'jobs.db')));
    for (const terminal of [created, listed, revoked, listedAgain]) assert.deepEqual(terminal.clientRegions, []);
  });

  it("warns, on revoking the local server's own token (local), that the server's requests now fail and that restarting npm start makes a new one", async () => {
    // Prepare: the token the server makes for its user, as it makes it.
    await withLocalTokens((tokens) => tokens.create({ name: LOCAL_SERVER_TOKEN_NAME, profiles: ['*'] }));
    const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

    // Act
    const code = await runTokenCommand(['revoke', '--name', LOCAL_SERVER_TOKEN_NAME], terminal.io);

    // Assess
    assert.equal(code, 0, terminal.stderr.join(''));
    const stderr = terminal.stderr.join('');
    assert.match(stderr, /Revoked token 'local'/);
    assert.ok(stderr.includes(`'local' is the local server's own token, the one \`npm start\` printed (kept in ${join(dataDir, 'token')})`), stderr);
    assert.match(stderr, /refused with 401/);
    assert.match(stderr, /Restart `npm start` to get a new one: it makes and prints a new token/);
    assert.deepEqual(terminal.stdout, []);
  });

  it('works while another connection (the running server) holds jobs.db open, and the server sees the token at once', async () => {
    // Prepare: the server's connection, open for the whole command.
    const server = openJobsDatabase(dataDir);
    const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });
    try {
      // Act
      const code = await runTokenCommand(['create', '--name', 'ci', '--profiles', 'default'], terminal.io);
      const seen = await new TokenService({ store: new SqliteTokenStore({ database: server }) }).authenticate(`Bearer ${terminal.stdout.join('').trimEnd()}`);

      // Assess
      assert.equal(code, 0, terminal.stderr.join(''));
      assert.deepEqual(seen, { authenticated: true, caller: { name: 'ci', profiles: ['default'] } });
    } finally {
      server.close();
    }
  });

  it('exits 1 naming the directory when its store cannot be opened', async () => {
    // Prepare
    const notADirectory = join(dataDir, 'a-file');
    await writeFile(notADirectory, 'not a data directory');
    const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: notADirectory });

    // Act
    const code = await runTokenCommand(['list'], terminal.io);

    // Assess
    assert.equal(code, 1);
    assert.deepEqual(terminal.stdout, []);
    assert.ok(terminal.stderr.join('').includes(`could not reach the tokens of local mode in ${notADirectory}:`), terminal.stderr.join(''));
  });

  it('refuses a profile local mode does not have: exit 1, nothing stored', async () => {
    // Prepare
    const terminal = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });
    const listed = aTerminal({ FARGATE_JOBS_DATA_DIR: dataDir });

    // Act
    const code = await runTokenCommand(['create', '--name', 'laptop', '--profiles', 'ssh'], terminal.io);
    await runTokenCommand(['list', '--json'], listed.io);

    // Assess
    assert.equal(code, 1);
    assert.deepEqual(terminal.stdout, []);
    assert.equal(terminal.stderr.join(''), "fargate-jobs: unknown profile 'ssh'; the profiles here are: default, echo (or * for all)\n");
    assert.deepEqual(JSON.parse(listed.stdout.join('')), []);
  });
});
