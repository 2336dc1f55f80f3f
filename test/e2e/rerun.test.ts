/**
 * Rerunning a job over HTTP (`POST /jobs` with `rerunOf`): a new job from the old one's request, its
 * secrets given again by the caller, never taken from anywhere (the record keeps only `***`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

describe('rerunning a job', () => {
  let server: LocalServerProcess;
  let original: JobDocument;

  before(async () => {
    server = await startServer();
    const created = await server.request<JobDocument>('POST', '/jobs', {
      body: { command: ['sh', '-c', 'echo "$STAGE ${#API_TOKEN}"'], env: { STAGE: 'dev', API_TOKEN: 'first-secret' }, labels: { team: 'platform' }, timeoutSeconds: 120 },
    });
    original = await server.waitForJob(created.json.id, (job) => job.stoppedAt !== undefined);
  });

  after(async () => {
    await server.stop();
  });

  it('names the variables a rerun must give again, never their values', () => {
    assert.deepEqual(original.secretEnvNames, ['API_TOKEN']);
    assert.doesNotMatch(JSON.stringify(original), /first-secret/);
  });

  it('runs the same command with the same settings, the secret given again, and says what it reruns', async () => {
    // Act
    const rerun = await server.request<JobDocument>('POST', '/jobs', { body: { rerunOf: original.id, env: { API_TOKEN: 'second-secret' } } });
    const finished = await server.waitForJob(rerun.json.id, (job) => job.stoppedAt !== undefined);

    // Assess
    assert.equal(rerun.status, 202);
    assert.notEqual(finished.id, original.id);
    assert.equal(finished.rerunOf, original.id);
    assert.deepEqual(finished.command, original.command);
    assert.deepEqual(finished.labels, { team: 'platform' });
    assert.equal(finished.timeoutSeconds, 120);
    assert.deepEqual(finished.logTail, ['dev 13']);
  });

  it('refuses to run without the secret, naming it', async () => {
    const refused = await server.request<{ error: { code: string; details: Array<{ path: string }> } }>('POST', '/jobs', { body: { rerunOf: original.id } });

    assert.equal(refused.status, 400);
    assert.equal(refused.json.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(refused.json.error.details.map((detail) => detail.path), ['env.API_TOKEN']);
  });

  it('refuses a variable that is not one of the secrets, and any field of a new request beside rerunOf', async () => {
    const extraEnv = await server.request<{ error: { details: Array<{ path: string }> } }>('POST', '/jobs', {
      body: { rerunOf: original.id, env: { API_TOKEN: 'x', STAGE: 'prod' } },
    });
    const extraField = await server.request<{ error: { details: Array<{ path: string }> } }>('POST', '/jobs', {
      body: { rerunOf: original.id, env: { API_TOKEN: 'x' }, command: ['rm', '-rf', '/'] },
    });

    assert.equal(extraEnv.status, 400);
    assert.deepEqual(extraEnv.json.error.details.map((detail) => detail.path), ['env.STAGE']);
    assert.equal(extraField.status, 400);
    assert.deepEqual(extraField.json.error.details.map((detail) => detail.path), ['command']);
  });

  it('answers 404 for a job the caller cannot see or that does not exist', async () => {
    const missing = await server.request<{ error: { code: string } }>('POST', '/jobs', { body: { rerunOf: 'job-0000000000000000000000000a' } });

    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'JOB_NOT_FOUND');
  });
});
