/**
 * `npm run token -- <create|list|revoke>`: manages the bearer tokens of local mode (the data
 * directory's jobs.db, whether its server runs or not) or, with `--stage`, of a deployed
 * stage (its DynamoDB table, with the AWS credentials of the environment).
 *
 *   npm run token -- create --name ci --profiles default[,ssh|*] [--max-active 5] [--stage prod] [--region eu-west-1]
 *   npm run token -- list [--json] [--stage prod]
 *   npm run token -- revoke --name ci [--stage prod]
 *
 * `create` prints the token alone on stdout (TOKEN=$(npm run -s token -- create …) works) and
 * everything else on stderr. The token is shown once: only its SHA-256 is stored.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localTokenStore, stageTokenStore, type TokenStoreTarget } from '#lib/composition/token-stores.ts';
import type { TokenRecord } from '#lib/domain/ports.ts';
import { isClientError } from '#lib/http/error-status.ts';
import { LOCAL_SERVER_TOKEN_NAME, TokenService } from '#lib/domain/tokens.ts';

/** The table serverless.yml names for a stage (a test keeps them equal). */
export function stageTableName(stage: string): string {
  return `fargate-jobs-${stage}-jobs`;
}

/** How long API Gateway caches an authorizer answer: serverless.yml's resultTtlInSeconds (a test keeps them equal). */
export const AUTHORIZER_CACHE_SECONDS = 30;

/** Serverless deploys to us-east-1 unless told otherwise; so does this, unless told otherwise. */
const DEFAULT_REGION = 'us-east-1';

const USAGE = `usage:
  npm run token -- create --name <name> --profiles <profile,…|*> [--max-active <n>] [target]
  npm run token -- list [--json] [target]
  npm run token -- revoke --name <name> [target]
--max-active: at most n of the token's jobs active at once (default: the stage's limit,
  MAX_ACTIVE_JOBS_PER_TOKEN; none in local mode)
target: local mode's data directory (FARGATE_JOBS_DATA_DIR, default .data) unless
  --stage <stage> [--region <region>] [--table <table>]   a deployed stage, with your AWS credentials`;

export interface TokenCommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** How a stage's DynamoDB client is made (tests hand in one under a mock). */
  dynamoDbClient?: (region: string) => DynamoDBClient;
}

interface Target extends TokenStoreTarget {
  description: string;
}

/** Runs the command; resolves to the process exit code (0 done, 1 refused or failed, 2 usage). */
export async function runTokenCommand(argv: string[], io: TokenCommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        profiles: { type: 'string' },
        'max-active': { type: 'string' },
        stage: { type: 'string' },
        region: { type: 'string' },
        table: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [verb, ...extra] = positionals;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (!verb || !['create', 'list', 'revoke'].includes(verb) || extra.length > 0) {
    io.stderr(`${verb ? `unknown command '${[verb, ...extra].join(' ')}'` : 'no command given'}\n${USAGE}\n`);
    return 2;
  }
  if ((verb === 'create' || verb === 'revoke') && !values.name) {
    io.stderr(`${verb} needs --name\n${USAGE}\n`);
    return 2;
  }
  if (verb === 'create' && !values.profiles) {
    io.stderr(`create needs --profiles (profile names separated by commas, or * for every profile)\n${USAGE}\n`);
    return 2;
  }
  if (values['max-active'] !== undefined && verb !== 'create') {
    io.stderr(`--max-active goes with create\n${USAGE}\n`);
    return 2;
  }
  const maxActiveJobs = values['max-active'] === undefined ? undefined : Number(values['max-active']);
  if (maxActiveJobs !== undefined && !(/^\d+$/.test(values['max-active'] ?? '') && maxActiveJobs >= 1)) {
    io.stderr(`--max-active must be a whole number of at least 1, got '${values['max-active']}'\n${USAGE}\n`);
    return 2;
  }
  if (!values.stage && (values.region || values.table)) {
    io.stderr(`--region and --table need --stage\n${USAGE}\n`);
    return 2;
  }

  const target = targetOf(values, io);
  let opened;
  try {
    opened = await target.open();
  } catch (error) {
    io.stderr(`fargate-jobs: could not reach the tokens of ${target.description}: ${(error as Error).message}\n`);
    return 1;
  }
  const tokens = new TokenService({ store: opened.store, profileNames: target.profileNames });
  try {
    if (verb === 'create') {
      const profiles = (values.profiles ?? '').split(',').map((profile) => profile.trim()).filter(Boolean);
      const { token, record } = await tokens.create({ name: values.name ?? '', profiles, ...(maxActiveJobs === undefined ? {} : { maxActiveJobs }) });
      const limit = record.maxActiveJobs === undefined ? '' : `, at most ${record.maxActiveJobs} active job(s) at once`;
      io.stderr(`Created token '${record.name}' (${target.description}) for profiles: ${record.profiles.join(', ')}${limit}.\n`);
      io.stderr('Store it now: it is shown only this once (only its SHA-256 is kept).\n');
      io.stdout(`${token}\n`);
    } else if (verb === 'revoke') {
      const record = await tokens.revoke(values.name ?? '');
      // On AWS, API Gateway keeps an authorizer's answer for a while (resultTtlInSeconds in serverless.yml).
      const cached = values.stage ? `; API Gateway may accept it for up to ${AUTHORIZER_CACHE_SECONDS} s more (its authorizer cache)` : '';
      io.stderr(`Revoked token '${record.name}' (${target.description})${cached}.\n`);
      if (!values.stage && record.name === LOCAL_SERVER_TOKEN_NAME) io.stderr(localServerTokenWarning(localDataDir(io)));
    } else {
      const records = await tokens.list();
      io.stdout(values.json ? `${JSON.stringify(records.map(publicFields), null, 2)}\n` : table(records));
    }
    return 0;
  } catch (error) {
    if (isClientError(error)) {
      const details = (error.details ?? []).map((detail) => `\n  ${detail.path}: ${detail.message}`).join('');
      io.stderr(`fargate-jobs: ${error.message}${details}\n`);
      return 1;
    }
    io.stderr(`fargate-jobs: ${verb} failed on ${target.description}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await opened.close();
  }
}

function targetOf(values: { stage?: string | undefined; region?: string | undefined; table?: string | undefined }, io: TokenCommandIo): Target {
  const { stage } = values;
  if (stage) {
    const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
    const tableName = values.table ?? stageTableName(stage);
    return {
      description: `stage '${stage}', table ${tableName} in ${region}`,
      ...stageTokenStore({ tableName, region, ...(io.dynamoDbClient ? { client: io.dynamoDbClient } : {}) }),
    };
  }
  const dataDir = localDataDir(io);
  return { description: `local mode in ${dataDir}`, ...localTokenStore(dataDir, (message) => io.stderr(`${message}\n`)) };
}

function localDataDir(io: TokenCommandIo): string {
  return resolve(io.env.FARGATE_JOBS_DATA_DIR ?? '.data');
}

/** Revoking `local` locks its user out of their own server until it makes a new one, which it does on start. */
function localServerTokenWarning(dataDir: string): string {
  return (
    `Warning: '${LOCAL_SERVER_TOKEN_NAME}' is the local server's own token, the one \`npm start\` printed (kept in ${join(dataDir, 'token')}); ` +
    'requests with it are now refused with 401.\n' +
    'Restart `npm start` to get a new one: it makes and prints a new token when its own is revoked.\n'
  );
}

/** What `list` shows: never the hash (it is not the token, but there is no need to hand it out). */
function publicFields(record: TokenRecord) {
  const { hash: _hash, ...rest } = record;
  return rest;
}

function table(records: TokenRecord[]): string {
  if (records.length === 0) return 'No tokens.\n';
  const rows = [
    ['NAME', 'PROFILES', 'MAX ACTIVE', 'CREATED', 'REVOKED'],
    ...records.map((record) => [record.name, record.profiles.join(','), String(record.maxActiveJobs ?? '-'), record.createdAt, record.revokedAt ?? '-']),
  ];
  const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n';
}

if (import.meta.main) {
  const code = await runTokenCommand(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  });
  process.exitCode = code;
}
