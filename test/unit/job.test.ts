import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIVE_STATUSES,
  canTransition,
  isTerminal,
  JOB_STATUSES,
  statusesThatMayBecome,
  TERMINAL_STATUSES,
} from '#lib/domain/job.ts';

describe('job statuses', () => {
  it('splits every status into either active or terminal', () => {
    // Act
    const terminal = JOB_STATUSES.filter(isTerminal);
    const active = JOB_STATUSES.filter((status) => !isTerminal(status));

    // Assess
    assert.deepEqual(terminal, ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);
    assert.deepEqual(active, ['QUEUED', 'PROVISIONING', 'RUNNING']);
    assert.deepEqual([...ACTIVE_STATUSES], active);
    assert.deepEqual([...TERMINAL_STATUSES], terminal);
  });
});

describe('canTransition', () => {
  for (const from of TERMINAL_STATUSES) {
    it(`never moves a ${from} job anywhere`, () => {
      // Act
      const allowed = JOB_STATUSES.filter((to) => canTransition(from, to));

      // Assess
      assert.deepEqual(allowed, []);
    });
  }

  it('allows the normal path QUEUED → PROVISIONING → RUNNING → SUCCEEDED', () => {
    // Assess
    assert.equal(canTransition('QUEUED', 'PROVISIONING'), true);
    assert.equal(canTransition('PROVISIONING', 'RUNNING'), true);
    assert.equal(canTransition('RUNNING', 'SUCCEEDED'), true);
  });

  it('allows a job that starts fast to skip PROVISIONING', () => {
    // Assess
    assert.equal(canTransition('QUEUED', 'RUNNING'), true);
  });

  for (const from of ACTIVE_STATUSES) {
    it(`lets a ${from} job end in every terminal status`, () => {
      // Act
      const refused = TERMINAL_STATUSES.filter((to) => !canTransition(from, to));

      // Assess
      assert.deepEqual(refused, []);
    });
  }

  it('never moves a job backwards', () => {
    // Assess
    assert.equal(canTransition('RUNNING', 'QUEUED'), false);
    assert.equal(canTransition('RUNNING', 'PROVISIONING'), false);
    assert.equal(canTransition('PROVISIONING', 'QUEUED'), false);
  });

  it('does not count staying in the same status as a move', () => {
    // Act
    const selfMoves = JOB_STATUSES.filter((status) => canTransition(status, status));

    // Assess
    assert.deepEqual(selfMoves, []);
  });
});

describe('statusesThatMayBecome', () => {
  it('lets any active job, and only an active job, become CANCELLED', () => {
    // Act
    const from = statusesThatMayBecome('CANCELLED');

    // Assess
    assert.deepEqual(from, ['QUEUED', 'PROVISIONING', 'RUNNING']);
  });

  it('lets only QUEUED and PROVISIONING jobs become RUNNING', () => {
    // Act
    const from = statusesThatMayBecome('RUNNING');

    // Assess
    assert.deepEqual(from, ['QUEUED', 'PROVISIONING']);
  });

  it('lets only a QUEUED job become PROVISIONING', () => {
    // Act
    const from = statusesThatMayBecome('PROVISIONING');

    // Assess
    assert.deepEqual(from, ['QUEUED']);
  });

  it('lets no job become QUEUED again', () => {
    // Act
    const from = statusesThatMayBecome('QUEUED');

    // Assess
    assert.deepEqual(from, []);
  });

  for (const to of TERMINAL_STATUSES) {
    it(`never includes a terminal status as a source of ${to}`, () => {
      // Act
      const from = statusesThatMayBecome(to);

      // Assess
      assert.equal(from.some(isTerminal), false);
      assert.deepEqual(from, ['QUEUED', 'PROVISIONING', 'RUNNING']);
    });
  }
});
