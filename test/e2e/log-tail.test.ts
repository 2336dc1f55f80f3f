/**
 * Reading a log from its end on the real `npm start` server, as the console does: the last lines
 * first (`tail`), following the job from there while it writes, and older lines a page at a time
 * (`before`) back to the first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { EarlierJobLogs, JobLogTail } from '#lib/domain/job-log-tail.ts';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobStatus } from '#lib/domain/job.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { assertError, startServer, type LocalServerProcess } from '../helpers/local-server.ts';

const TERMINAL: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
const isFinished = (job: JobDocument) => TERMINAL.includes(job.status) && job.stoppedAt !== undefined;

/** A shell loop writing `line-0` … `line-<count - 1>`, pausing `pause` seconds after every `every` lines. */
function linesScript(count: number, every = count, pause = 0): string[] {
  return ['sh', '-c', `i=0; while [ $i -lt ${count} ]; do echo line-$i; i=$((i+1)); if [ $((i % ${every})) -eq 0 ]; then sleep ${pause}; fi; done`];
}

const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_unused, index) => `line-${from + index}`);
const messages = (page: { lines: Array<{ message: string }> }) => page.lines.map((line) => line.message);

describe('reading a log from its end over HTTP (local mode)', () => {
  let server: LocalServerProcess;

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await server?.stop();
  });

  async function submit(command: string[]): Promise<JobDocument> {
    const response = await server.request<JobDocument>('POST', '/jobs', { body: { command } });
    assert.equal(response.status, 202, response.text);
    return response.json;
  }

  async function get<T>(path: string): Promise<T> {
    const response = await server.request<T>('GET', path);
    assert.equal(response.status, 200, `${path}: ${response.text}`);
    return response.json;
  }

  it('gives a client that reads the tail while the job writes, then follows it, every line exactly once', async () => {
    // Prepare: a job that writes 4,000 lines over about two seconds.
    const job = await submit(linesScript(4000, 200, 0.1));
    let newest = -1;
    for (let attempt = 0; attempt < 200 && newest < 1200; attempt += 1) {
      const last = await get<JobLogTail>(`/jobs/${job.id}/logs?tail=1`);
      newest = Number(last.lines[0]?.message.replace('line-', '') ?? -1);
      if (newest < 1200) await delay(20);
    }
    assert.ok(newest >= 1200, 'the job never wrote 1,200 lines');

    // Act
    const tail = await get<JobLogTail>(`/jobs/${job.id}/logs?tail=1000`);
    const followed: string[] = [];
    let page: JobLogs = tail;
    for (let request = 0; request < 200 && !page.complete; request += 1) {
      page = await get<JobLogs>(`/jobs/${job.id}/logs?cursor=${page.nextCursor}&wait=5`);
      followed.push(...messages(page));
    }

    // Assess
    assert.equal(tail.complete, false, 'the tail was read while the job was still writing');
    assert.equal(tail.lines.length, 1000);
    assert.notEqual(tail.previousCursor, null);
    assert.equal(page.complete, true, 'the job never completed');
    const first = Number(tail.lines[0]?.message.replace('line-', ''));
    assert.deepEqual([...messages(tail), ...followed], numbered(first, 4000));
    assert.ok(followed.length > 0, 'nothing was written after the tail');
  });

  it('pages back from the tail to the first line, each line once, previousCursor null only on the page that holds it', async () => {
    // Prepare
    const job = await submit(linesScript(3500));
    await server.waitForJob(job.id, isFinished);

    // Act
    const tail = await get<JobLogTail>(`/jobs/${job.id}/logs?tail=1000`);
    const earlier: EarlierJobLogs[] = [];
    for (let cursor = tail.previousCursor; cursor !== null && earlier.length < 10; cursor = earlier.at(-1)?.previousCursor ?? null) {
      earlier.push(await get<EarlierJobLogs>(`/jobs/${job.id}/logs?before=${cursor}&limit=1000`));
    }
    const after = await get<JobLogs>(`/jobs/${job.id}/logs?cursor=${tail.nextCursor}`);

    // Assess
    assert.equal(tail.complete, true);
    assert.deepEqual(messages(tail), numbered(2500, 3500));
    assert.deepEqual(
      earlier.map((page) => [page.lines.length, page.previousCursor === null, page.nextCursor, page.complete]),
      [
        [1000, false, null, false],
        [1000, false, null, false],
        [500, true, null, false],
      ],
    );
    assert.deepEqual([...earlier.reverse().flatMap(messages), ...messages(tail)], numbered(0, 3500));
    assert.deepEqual(after.lines, []);
    assert.equal(after.complete, true);
  });

  it('answers the tail of a log shorter than asked with every line, previousCursor null', async () => {
    // Prepare
    const job = await submit(linesScript(3));
    await server.waitForJob(job.id, isFinished);

    // Act
    const tail = await get<JobLogTail>(`/jobs/${job.id}/logs?tail=1000`);

    // Assess
    assert.deepEqual(messages(tail), numbered(0, 3));
    assert.equal(tail.previousCursor, null);
    assert.equal(tail.complete, true);
  });

  it('refuses a read that goes two ways at once, a tail out of range, and a cursor of one direction given for the other', async () => {
    // Prepare
    const job = await submit(linesScript(20));
    await server.waitForJob(job.id, isFinished);
    const tail = await get<JobLogTail>(`/jobs/${job.id}/logs?tail=5`);
    const cases = [
      ['tail with cursor', `tail=5&cursor=${tail.nextCursor}`, 'tail'],
      ['before with cursor', `before=${tail.previousCursor}&cursor=${tail.nextCursor}`, 'before'],
      ['before with tail', `before=${tail.previousCursor}&tail=5`, 'before'],
      ['tail with limit', 'tail=5&limit=5', 'limit'],
      ['tail with a wait', 'tail=5&wait=5', 'wait'],
      ['before with a wait', `before=${tail.previousCursor}&wait=5`, 'wait'],
      ['tail 0', 'tail=0', 'tail'],
      ['tail over 10,000', 'tail=10001', 'tail'],
      ['a nextCursor as before', `before=${tail.nextCursor}`, 'before'],
      ['a previousCursor as cursor', `cursor=${tail.previousCursor}`, 'cursor'],
    ] as const;

    for (const [name, query, parameter] of cases) {
      // Act
      const answer = await server.request('GET', `/jobs/${job.id}/logs?${query}`);

      // Assess
      const body = assertError(answer, 400, 'VALIDATION_FAILED');
      assert.deepEqual(
        body.error.details?.map((detail) => detail.path),
        [parameter],
        name,
      );
    }
  });
});
