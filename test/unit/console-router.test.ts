/** The console's addresses: the fragment names the view, and the list's filters survive a reload. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobHash, listHash, parseRoute } from '../../console/router.ts';

describe('parseRoute', () => {
  it('reads the list with its filters, a job, the form and anything else', () => {
    assert.deepEqual(parseRoute(''), { view: 'list', query: {} });
    assert.deepEqual(parseRoute('#/?status=RUNNING&profile=echo&label=team%3Dweb&label=env%3Dprod'), {
      view: 'list',
      query: { status: 'RUNNING', profile: 'echo', labels: ['team=web', 'env=prod'] },
    });
    assert.deepEqual(parseRoute('#/jobs/job-01jdq8m4zv3k9x2c7f5h6w8r0t'), { view: 'job', id: 'job-01jdq8m4zv3k9x2c7f5h6w8r0t' });
    assert.deepEqual(parseRoute('#/new?from=job-01jdq8m4zv3k9x2c7f5h6w8r0t'), { view: 'new', from: 'job-01jdq8m4zv3k9x2c7f5h6w8r0t' });
    assert.deepEqual(parseRoute('#/new'), { view: 'new', from: undefined });
    assert.deepEqual(parseRoute('#/jobs/a/b'), { view: 'unknown', hash: '#/jobs/a/b' });
  });

  it('writes what it reads', () => {
    const query = { status: 'FAILED', labels: ['team=a b', 'x=1&2'] };

    assert.deepEqual(parseRoute(listHash(query)), { view: 'list', query });
    assert.equal(listHash({}), '#/');
    assert.deepEqual(parseRoute(jobHash('job-x/y')), { view: 'job', id: 'job-x/y' });
  });
});
