import { newJobId } from '#lib/domain/ids.ts';
import type { Job } from '#lib/domain/job.ts';

/** A valid QUEUED job; override what the test is about. */
export function aJob(overrides: Partial<Job> = {}): Job {
  const now = new Date().toISOString();
  return {
    id: newJobId(),
    profile: 'default',
    command: ['echo', 'hello'],
    env: {},
    publicIp: false,
    timeoutSeconds: 60,
    labels: {},
    status: 'QUEUED',
    createdAt: now,
    updatedAt: now,
    exitCode: null,
    logTail: [],
    submittedBy: 'test',
    requestHash: 'hash',
    ...overrides,
  };
}
