import { newJobId } from '#lib/domain/ids.ts';
import type { Job } from '#lib/domain/job.ts';
import type { Profile } from '#lib/domain/profile.ts';

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

/** An interactive profile as the steps know it: a job of it gets `ssh -p 2222 jobs@<public IP>` once its public IP is known. */
export const SSH_PROFILE: Profile = {
  name: 'ssh',
  description: 'sshd',
  commands: 'any',
  shell: false,
  envNames: [],
  timeoutSeconds: { default: 60, max: 3600 },
  publicIp: 'always',
  interactive: { port: 2222, user: 'jobs', publicKeyEnv: 'PUBLIC_KEY' },
};
