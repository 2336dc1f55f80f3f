import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import type { Logger } from '#lib/domain/logger.ts';
import { parseAllowHosts } from '#lib/notify/callback-url.ts';
import type { ResolvedAddress } from '#lib/notify/safe-post.ts';
import { webhookNotifier } from '#lib/notify/webhook-notifier.ts';
import { closeServer } from '../helpers/http-server.ts';
import { aJob } from '../helpers/jobs.ts';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** A port on 127.0.0.1 that nothing listens on any more. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await closeServer(servers.pop() ?? server);
  return port;
}

function recordingLogger() {
  const warnings: Record<string, unknown>[] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (message, ...extra) => warnings.push({ message, ...Object.assign({}, ...extra) }) };
  return { logger, warnings };
}

const RESOLVER_TABLE: Record<string, ResolvedAddress[]> = { 'db.internal.test': [{ address: '10.0.3.4', family: 4 }] };

async function resolve(host: string): Promise<ResolvedAddress[]> {
  const answer = RESOLVER_TABLE[host];
  if (answer === undefined) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  return answer;
}

describe('webhookNotifier', () => {
  it('records the same "delivery failed" for a closed port, a private address and an unknown name, and logs why with the job id', async () => {
    // Prepare
    const port = await closedPort();
    const { logger, warnings } = recordingLogger();
    const notifier = webhookNotifier({ secret: async () => 'k'.repeat(32), allowHosts: parseAllowHosts('127.0.0.1'), render: (job) => job, resolve, logger });
    const jobs = [`http://127.0.0.1:${port}/hook`, 'https://db.internal.test/hook', 'https://missing.test/hook'].map((callbackUrl) =>
      aJob({ status: 'SUCCEEDED', callbackUrl }),
    );

    // Act
    const outcomes = [];
    for (const job of jobs) outcomes.push(await notifier.notify(job, 'job.finished'));

    // Assess
    const recorded = outcomes.map(({ attempts }) => attempts.map(({ delivered, error, statusCode }) => ({ delivered, error, statusCode })));
    assert.deepEqual(recorded, new Array(3).fill([{ delivered: false, error: 'delivery failed', statusCode: undefined }]));
    assert.deepEqual(
      warnings.map(({ jobId }) => jobId),
      jobs.map(({ id }) => id),
    );
    assert.match(String(warnings[0]?.error), /ECONNREFUSED/);
    assert.match(String(warnings[1]?.error), /10\.0\.3\.4 is a private address/);
    assert.match(String(warnings[2]?.error), /ENOTFOUND missing\.test/);
  });

  it("keeps a real receiver's HTTP status on the record", async () => {
    // Prepare
    const port = await listen(createServer((_request, response) => response.writeHead(503).end()));
    const notifier = webhookNotifier({ secret: async () => 'k'.repeat(32), allowHosts: parseAllowHosts('127.0.0.1'), render: (job) => job });

    // Act
    const { attempts, retry } = await notifier.notify(aJob({ status: 'FAILED', callbackUrl: `http://127.0.0.1:${port}/hook` }), 'job.finished');

    // Assess
    assert.deepEqual(
      attempts.map(({ delivered, error, statusCode }) => ({ delivered, error, statusCode })),
      [{ delivered: false, error: 'delivery failed: the receiver answered 503', statusCode: 503 }],
    );
    assert.equal(retry, true);
  });
});
