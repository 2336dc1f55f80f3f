/**
 * `fargate-jobs costs` against the real local server: finished jobs summed by label, with local
 * mode's zero beside what Fargate would charge, as a table and as JSON.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, serverEnv } from '../helpers/cli.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

interface CostsJson {
  groupBy: string;
  local?: boolean;
  groups: Array<{ key: string | null; jobs: number; usd: number; computeUsd: number; overheadUsd: number }>;
  total: { jobs: number; usd: number; computeUsd: number };
  nextCursor: string | null;
}

describe('fargate-jobs costs', () => {
  let server: LocalServerProcess;
  let env: Record<string, string>;

  before(async () => {
    server = await startServer();
    env = serverEnv(server);
    for (const team of ['data', 'data', 'web']) {
      const ran = await runCli(['run', '--label', `team=${team}`, '--', 'true'], { env });
      assert.equal(ran.code, 0, ran.stderr);
    }
  });

  after(async () => {
    await server?.stop();
  });

  test('--by label:team --json sums the finished jobs by the label, usd 0 locally with what Fargate would charge', async () => {
    // Act
    const result = await runCli(['costs', '--since', '1d', '--by', 'label:team', '--json'], { env });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as CostsJson;
    assert.equal(report.local, true);
    assert.deepEqual(report.groups.map((group) => [group.key, group.jobs]), [['data', 2], ['web', 1]]);
    assert.equal(report.total.jobs, 3);
    assert.equal(report.total.usd, 0);
    // Each ran well under a minute: billed one minute of the default profile's size at least.
    assert.ok(report.total.computeUsd >= 3 * 0.0002, `compute ${report.total.computeUsd}`);
    assert.equal(report.nextCursor, null);
  });

  test('prints a table of the groups and their total', async () => {
    // Act
    const result = await runCli(['costs', '--by', 'label:team'], { env });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /local mode: nothing billed/);
    assert.match(result.stdout, /^LABEL:TEAM\s+JOBS\s+USD\s+COMPUTE\s+OVERHEAD$/m);
    assert.match(result.stdout, /^data\s+2\s+\$0\.00\s+\$0\.\d+\s+\$0\.\d+$/m);
    assert.match(result.stdout, /^TOTAL\s+3\s+\$0\.00/m);
  });

  test('--since that is no time is a usage error naming the forms it takes', async () => {
    const result = await runCli(['costs', '--since', 'last week'], { env });

    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--since takes a date \(2026-12-01\), a date-time or a number of days back \(7d\)/);
  });
});
