/**
 * Local mode removes expired jobs at start and then once a day, for as long as it runs: the daily
 * removal is driven here by a mocked interval timer, on a real store and data directory.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createLocalDependencies, type LocalDependencies } from '#lib/composition/local.ts';
import { newJobId } from '#lib/domain/ids.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import { aJob } from '../helpers/jobs.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('local mode retention', () => {
  let dataDir: string;
  let deps: LocalDependencies | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-local-retention-'));
    mock.timers.enable({ apis: ['setInterval'] });
  });
  afterEach(async () => {
    await deps?.close();
    deps = undefined;
    mock.timers.reset();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A finished job that stopped `days` ago, with a work directory and a log file as its task left them. */
  async function finishedJob(dependencies: LocalDependencies, days: number) {
    const at = new Date(Date.now() - days * DAY_MS);
    const job = aJob({ id: newJobId(at), status: 'SUCCEEDED', exitCode: 0, createdAt: at.toISOString(), updatedAt: at.toISOString(), stoppedAt: at.toISOString() });
    await dependencies.store.create(job);
    mkdirSync(join(dataDir, 'work', job.id), { recursive: true });
    writeFileSync(join(dataDir, 'logs', `${job.id}.log`), '{"timestamp":"2025-01-01T00:00:00.000Z","message":"hi"}\n');
    return job;
  }

  it('removes, a day after the start, a job that has expired since, with its files; keeps one that has not', async () => {
    // Prepare
    deps = await createLocalDependencies({ dataDir, logger: silentLogger, notice: () => undefined, retentionDays: 30 });
    const expired = await finishedJob(deps, 31);
    const recent = await finishedJob(deps, 29);

    // Act
    mock.timers.tick(DAY_MS);
    for (let attempt = 0; attempt < 200 && (await deps.store.get(expired.id)); attempt += 1) await delay(10);

    // Assess
    assert.equal(await deps.store.get(expired.id), undefined);
    assert.equal(existsSync(join(dataDir, 'work', expired.id)), false);
    assert.equal(existsSync(join(dataDir, 'logs', `${expired.id}.log`)), false);
    assert.deepEqual(await deps.store.get(recent.id), recent);
    assert.equal(existsSync(join(dataDir, 'logs', `${recent.id}.log`)), true);
  });

  it('removes nothing before the day is over', async () => {
    // Prepare
    deps = await createLocalDependencies({ dataDir, logger: silentLogger, notice: () => undefined, retentionDays: 30 });
    const expired = await finishedJob(deps, 31);

    // Act
    mock.timers.tick(DAY_MS - 1000);
    await delay(100);

    // Assess
    assert.deepEqual(await deps.store.get(expired.id), expired);
  });
});
