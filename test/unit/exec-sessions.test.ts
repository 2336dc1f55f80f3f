/**
 * The local exec sessions not attached to yet (lib/adapters/local/exec-sessions.ts): each opens
 * once, with its own token, within the attach window.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXEC_ATTACH_WINDOW_MS, ExecSessions } from '#lib/adapters/local/exec-sessions.ts';

interface Exec {
  jobId: string;
}

function sessionsAt(clock: { time: number }): ExecSessions<Exec> {
  return new ExecSessions<Exec>({ now: () => clock.time });
}

describe('ExecSessions', () => {
  it('open a session under a random id with a random 256-bit token, different each time', () => {
    // Prepare
    const sessions = new ExecSessions<Exec>();

    // Act
    const first = sessions.open({ jobId: 'job-1' });
    const second = sessions.open({ jobId: 'job-1' });

    // Assess
    assert.match(first.sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(Buffer.from(first.tokenValue, 'base64url').length, 32);
    assert.match(first.tokenValue, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(first.sessionId, second.sessionId);
    assert.notEqual(first.tokenValue, second.tokenValue);
    assert.equal(sessions.size, 2);
  });

  it('hand the exec over once, to its token: a second claim finds no session', () => {
    // Prepare
    const sessions = new ExecSessions<Exec>();
    const { sessionId, tokenValue } = sessions.open({ jobId: 'job-1' });

    // Act
    const first = sessions.claim(sessionId, tokenValue);
    const second = sessions.claim(sessionId, tokenValue);

    // Assess
    assert.deepEqual(first, { claimed: { jobId: 'job-1' } });
    assert.deepEqual(second, { refused: 'unknown' });
    assert.equal(sessions.size, 0);
  });

  it('refuse another token, of any length, and leave the session to its own', () => {
    // Prepare
    const sessions = new ExecSessions<Exec>();
    const { sessionId, tokenValue } = sessions.open({ jobId: 'job-1' });
    const other = sessions.open({ jobId: 'job-2' });
    const flipped = `${tokenValue.slice(0, -1)}${tokenValue.endsWith('A') ? 'B' : 'A'}`;

    // Act
    const refusals = [flipped, other.tokenValue, '', tokenValue.slice(0, -1), `${tokenValue}A`, 'ü'.repeat(43)].map((token) => sessions.claim(sessionId, token));

    // Assess
    for (const refusal of refusals) assert.deepEqual(refusal, { refused: 'unauthorized' });
    assert.deepEqual(sessions.claim(sessionId, tokenValue), { claimed: { jobId: 'job-1' } });
  });

  it('know no session under an id it never gave', () => {
    const sessions = new ExecSessions<Exec>();
    const { tokenValue } = sessions.open({ jobId: 'job-1' });

    assert.deepEqual(sessions.claim('00000000-0000-4000-8000-000000000000', tokenValue), { refused: 'unknown' });
  });

  it('forget a session not attached to within the window: open until its last millisecond, gone from then on', () => {
    // Prepare
    const clock = { time: Date.UTC(2030, 0, 1) };
    const sessions = sessionsAt(clock);
    const early = sessions.open({ jobId: 'job-1' });
    const late = sessions.open({ jobId: 'job-2' });

    // Act
    clock.time += EXEC_ATTACH_WINDOW_MS - 1;
    const inTime = sessions.claim(early.sessionId, early.tokenValue);
    clock.time += 1;
    const tooLate = sessions.claim(late.sessionId, late.tokenValue);

    // Assess
    assert.deepEqual(inTime, { claimed: { jobId: 'job-1' } });
    assert.deepEqual(tooLate, { refused: 'unknown' });
    assert.equal(sessions.size, 0);
  });

  it('take its window from the options', () => {
    const clock = { time: 0 };
    const sessions = new ExecSessions<Exec>({ now: () => clock.time, attachWindowMs: 10 });
    const { sessionId, tokenValue } = sessions.open({ jobId: 'job-1' });

    clock.time = 10;

    assert.deepEqual(sessions.claim(sessionId, tokenValue), { refused: 'unknown' });
  });

  it('discard the sessions of a job that stopped, and only those', () => {
    // Prepare
    const sessions = new ExecSessions<Exec>();
    const stopped = sessions.open({ jobId: 'job-1' });
    const running = sessions.open({ jobId: 'job-2' });

    // Act
    sessions.discard((exec) => exec.jobId === 'job-1');

    // Assess
    assert.deepEqual(sessions.claim(stopped.sessionId, stopped.tokenValue), { refused: 'unknown' });
    assert.deepEqual(sessions.claim(running.sessionId, running.tokenValue), { claimed: { jobId: 'job-2' } });
  });
});
