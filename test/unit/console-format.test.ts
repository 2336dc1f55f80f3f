/** How the console words jobs: durations, commands, badges, and the text fields it parses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCommand, formatDuration, formatShortTime, formatTaskSize, jobDuration, parseArgvLines, parseAssignments, statusBadge, timelineOf, visible } from '../../console/format.ts';

describe('formatDuration', () => {
  it('says short times in ms or s and longer ones in two units', () => {
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(4_240), '4.2 s');
    assert.equal(formatDuration(42_900), '42 s');
    assert.equal(formatDuration(185_000), '3 min 5 s');
    assert.equal(formatDuration(7_620_000), '2 h 7 min');
    assert.equal(formatDuration(273_600_000), '3 d 4 h');
    assert.equal(formatDuration(-1), '–');
  });
});

describe('jobDuration', () => {
  it('runs from start to stop, to now while running, and is unknown before the start', () => {
    const startedAt = '2026-01-01T10:00:00.000Z';
    const now = Date.parse('2026-01-01T10:00:30.000Z');

    assert.equal(jobDuration({ status: 'SUCCEEDED', startedAt, stoppedAt: '2026-01-01T10:00:05.000Z' }, now), 5000);
    assert.equal(jobDuration({ status: 'RUNNING', startedAt }, now), 30_000);
    assert.equal(jobDuration({ status: 'QUEUED' }, now), undefined);
    // Cancelled while running, its stop not yet recorded: not "still counting".
    assert.equal(jobDuration({ status: 'CANCELLED', startedAt }, now), undefined);
  });
});

describe('formatCommand', () => {
  it('quotes only the words a shell would need quoted', () => {
    assert.equal(formatCommand(['sh', '-c', "echo 'hi' there"]), `sh -c 'echo '\\''hi'\\'' there'`);
    assert.equal(formatCommand(['ls', '-la', '/tmp/a=b']), 'ls -la /tmp/a=b');
    assert.equal(formatCommand(['echo', '']), "echo ''");
  });
});

describe('statusBadge', () => {
  it('gives every status a symbol and a word, so that colour is never the only sign', () => {
    for (const status of ['QUEUED', 'PROVISIONING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'] as const) {
      const badge = statusBadge(status);
      assert.ok(badge.symbol.length > 0 && badge.label.length > 0, status);
    }
    assert.notEqual(statusBadge('SUCCEEDED').symbol, statusBadge('FAILED').symbol);
  });
});

describe('visible', () => {
  it('shows control characters and bidi overrides as escapes', () => {
    assert.equal(visible('a\x1b[31mb'), 'a\\x1b[31mb');
    assert.equal(visible('invoice\u202Efdp.exe'), 'invoice\\u202efdp.exe');
    assert.equal(visible('ünïcödé ✓'), 'ünïcödé ✓');
  });
});

describe('parseAssignments', () => {
  it('reads name=value lines, values keeping their own = and spaces, and names the bad lines', () => {
    const { values, errors } = parseAssignments('A=1\n\nB= x=y \r\nnovalue\n=x');

    assert.deepEqual(values, { A: '1', B: ' x=y ' });
    assert.deepEqual(errors, ['line 4: write name=value', 'line 5: write name=value']);
  });
});

describe('parseArgvLines', () => {
  it('takes a line an argument, an empty line inside as an empty argument, not a trailing newline', () => {
    assert.deepEqual(parseArgvLines('echo\nhello world\n\nend\n'), ['echo', 'hello world', '', 'end']);
    assert.deepEqual(parseArgvLines(''), []);
  });
});

describe('formatTaskSize', () => {
  it('says CPU units as vCPU and MiB as GiB from 1 GiB', () => {
    assert.equal(formatTaskSize(256, 512), '0.25 vCPU, 512 MiB');
    assert.equal(formatTaskSize(1024, 3072), '1 vCPU, 3 GiB');
    assert.equal(formatTaskSize(undefined, undefined), 'profile default');
  });
});

describe('timelineOf', () => {
  const queued = { status: 'QUEUED', at: '2026-01-01T10:00:00.000Z' } as const;

  it('adds the steps still to come to the server’s timeline', () => {
    const provisioning = { status: 'PROVISIONING', at: '2026-01-01T10:00:01.000Z' } as const;

    assert.deepEqual(timelineOf({ status: 'QUEUED', timeline: [queued] }), [queued, { status: 'PROVISIONING' }, { status: 'RUNNING' }]);
    assert.deepEqual(timelineOf({ status: 'PROVISIONING', timeline: [queued, provisioning] }), [queued, provisioning, { status: 'RUNNING' }]);
  });

  it('has nothing to come once the job runs without provisioning, or has finished', () => {
    const running = { status: 'RUNNING', at: '2026-01-01T10:00:02.000Z' } as const;
    const cancelled = { status: 'CANCELLED', at: '2026-01-01T10:00:03.000Z' } as const;

    assert.deepEqual(timelineOf({ status: 'RUNNING', timeline: [queued, running] }), [queued, running]);
    assert.deepEqual(timelineOf({ status: 'CANCELLED', timeline: [queued, cancelled] }), [queued, cancelled]);
  });
});

describe('formatShortTime', () => {
  it('drops the date of a time from today, and keeps it otherwise', () => {
    const now = new Date('2026-03-04T15:00:00');

    assert.doesNotMatch(formatShortTime(new Date('2026-03-04T09:30:00').toISOString(), now), /2026|26/);
    assert.match(formatShortTime(new Date('2026-03-01T09:30:00').toISOString(), now), /26/);
  });
});
