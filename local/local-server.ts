/**
 * Local mode's server: the local ports (lib/composition/local.ts) handed to the same handler
 * factories the Lambdas use, behind the API Gateway emulation, on a loopback port. On start it makes
 * sure its user has a token, records the jobs the previous server left active, and arms the schedules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { localSecretKey } from '#lib/composition/data-directory.ts';
import { createLocalDependencies, writePrivateFileAtomically, type LocalDependencies, type LocalOptions } from '#lib/composition/local.ts';
import { EVERY_PROFILE } from '#lib/domain/caller.ts';
import { TokenNotFoundError } from '#lib/domain/errors.ts';
import { localServerProof, SERVER_KEY_FILE } from '#lib/domain/local-server-proof.ts';
import { recoverInterruptedJobs, type InterruptionMessages } from '#lib/domain/job-service.ts';
import { LOCAL_SERVER_TOKEN_NAME, TokenService } from '#lib/domain/tokens.ts';
import { buildConsoleAssets } from '#lib/console/build-assets.ts';
import { authorizerHandler } from '#lib/http/authorizer.ts';
import { consoleHandler } from '#lib/http/console.ts';
import { healthHandler } from '#lib/http/health.ts';
import { cancelJobHandler } from '#lib/http/cancel-job.ts';
import { createJobHandler } from '#lib/http/create-job.ts';
import { execJobHandler } from '#lib/http/exec-job.ts';
import { getJobLogsHandler } from '#lib/http/get-job-logs.ts';
import { getCostsHandler } from '#lib/http/get-costs.ts';
import { getJobHandler } from '#lib/http/get-job.ts';
import { listJobsHandler } from '#lib/http/list-jobs.ts';
import { listProfilesHandler } from '#lib/http/list-profiles.ts';
import { schedulesHandler } from '#lib/http/schedules.ts';
import { slackCommandsHandler } from '#lib/http/slack-commands.ts';
import { slackInteractionsHandler } from '#lib/http/slack-interactions.ts';
import { answerClientError, apiGateway, LOOPBACK_HOST_NAMES, type RouteHandler } from './api-gateway.ts';
import { execAttach } from './exec-attach.ts';
import { RateLimiter, type RateLimit } from './rate-limiter.ts';

/** Generous for one person and their scripts; tests and benchmarks set their own. */
export const DEFAULT_RATE_LIMIT: RateLimit = { ratePerSecond: 100, burst: 200 };

export interface LocalServerOptions extends LocalOptions {
  port: number;
  host?: string;
  /** Requests per second per token (429 with Retry-After beyond it). */
  rateLimit?: RateLimit;
}

export interface LocalServer {
  url: string;
  token: string;
  tokenFile: string;
  dependencies: LocalDependencies;
  /** Jobs found active at start-up (their process died with the previous server) and marked FAILED. */
  interruptedJobs: number;
  close(): Promise<void>;
}

const INTERRUPTED: Record<LocalDependencies['runner'], InterruptionMessages> = {
  process: {
    stopped: (job) => `the local server restarted while this job was running; its process (pid ${job.process?.pid}) was stopped`,
    gone: 'the local server stopped while this job was active; its process did not survive',
  },
  ecs: {
    stopped: () => 'the local server stopped while this job was active; its task was stopped',
    gone: 'the local server stopped while this job was active; its task had stopped already or could not be stopped',
  },
};

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  // First: a console that does not build stops the start with esbuild's message, before anything is opened.
  const consoleAssets = buildConsoleAssets();
  const deps = await createLocalDependencies(options);
  const tokenFile = join(options.dataDir, 'token');
  const token = await localToken(tokenFile, new TokenService({ store: deps.tokens }));
  const interruptedJobs = await recoverInterruptedJobs(deps, INTERRUPTED[deps.runner]);
  await deps.startScheduler();
  // Before the server listens (and so before `url` names it): a client checks the proof against this key.
  const serverKey = localSecretKey(options.dataDir, SERVER_KEY_FILE);
  let url = '';

  const handlers: Record<string, RouteHandler> = {
    'create-job': createJobHandler(deps),
    'list-jobs': listJobsHandler(deps),
    'get-job': getJobHandler(deps),
    'cancel-job': cancelJobHandler(deps),
    'get-job-logs': getJobLogsHandler(deps),
    'exec-job': execJobHandler(deps),
    'list-profiles': listProfilesHandler(deps),
    'get-costs': getCostsHandler(deps),
    schedules: schedulesHandler(deps),
    health: healthHandler,
    console: consoleHandler(consoleAssets),
    // Slack's routes only with the app's signing secret: without it they answer 404.
    ...(deps.slack
      ? { 'slack-commands': slackCommandsHandler({ ...deps, slack: deps.slack }), 'slack-interactions': slackInteractionsHandler({ ...deps, slack: deps.slack }) }
      : {}),
  };
  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const hostNames = hostNamesFor(options.host ?? '127.0.0.1');
  // Node's own limits (300 s to receive a request, no limit on answering it) leave room for a 20 s `wait`.
  const proveIdentity = (challenge: string) => localServerProof(serverKey, url, challenge);
  // Exec sessions' streams are attached to by an HTTP upgrade (local/exec-attach.ts); other upgrades (h2c…) are served as plain requests.
  const execs = execAttach({ ...(deps.attachExec ? { attachExec: deps.attachExec } : {}), hostNames, logger: deps.logger });
  const server = createServer(
    { shouldUpgradeCallback: execs.isExecUpgrade },
    apiGateway({ handlers, authorizer: authorizerHandler(deps), limiter, logger: deps.logger, hostNames, proveIdentity }),
  );
  server.on('clientError', answerClientError);
  server.on('upgrade', execs.onUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  deps.setServerUrl(url);

  return {
    url,
    token,
    tokenFile,
    dependencies: deps,
    interruptedJobs,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      // An attached exec's connection is no longer the HTTP server's to close: it ends with its command.
      await execs.close();
      await closed;
      await deps.close();
    },
  };
}

/** The names a request may call this server by: the loopback names, and the address it is bound to. */
function hostNamesFor(host: string): string[] {
  const bound = host.includes(':') ? `[${host}]` : host;
  return [...new Set([...LOOPBACK_HOST_NAMES, bound])];
}

/**
 * The token of the person running the server: every profile, kept in clear in the data directory
 * (readable only by its owner) so that each start can print it. A new one is made when the file is
 * missing, or its token is not in the store (a fresh `jobs.db`) or was revoked; the previous `local`
 * token, whose clear value is then lost, is revoked. The file is written on every start, so one
 * left readable by others (an older version, a copy) ends up 0600 too.
 */
async function localToken(tokenFile: string, tokens: TokenService): Promise<string> {
  const existing = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
  const token = (await tokens.authenticate(`Bearer ${existing}`)).authenticated ? existing : await newLocalToken(tokens);
  writePrivateFileAtomically(tokenFile, `${token}\n`);
  return token;
}

async function newLocalToken(tokens: TokenService): Promise<string> {
  await tokens.revoke(LOCAL_SERVER_TOKEN_NAME).catch((error: unknown) => {
    if (!(error instanceof TokenNotFoundError)) throw error;
  });
  const { token } = await tokens.create({ name: LOCAL_SERVER_TOKEN_NAME, profiles: [EVERY_PROFILE] });
  return token;
}
