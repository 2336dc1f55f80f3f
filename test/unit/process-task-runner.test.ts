/**
 * The local task runner: a job's argv runs as a child process with no shell, in its own work
 * directory, with its output timestamped into the job's log file; stops are SIGTERM then SIGKILL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { logFilePath } from '#lib/adapters/local/file-log-reader.ts';
import { localTaskArn, ProcessTaskRunner, SPAWNER_LOST } from '#lib/adapters/local/process-task-runner.ts';
import type { RunningExec } from '#lib/adapters/local/exec-process.ts';
import { classifyStop } from '#lib/domain/classify-stop.ts';
import { ExecRefusedError } from '#lib/domain/errors.ts';
import { newJobId } from '#lib/domain/ids.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { JobProcess } from '#lib/domain/job.ts';
import type { ExecRequest, RunTaskRequest, TaskSnapshot } from '#lib/domain/ports.ts';
import type { TaskStateChange } from '#lib/domain/task-events.ts';

const POLL_INTERVAL_MS = 20;
/** Generous: a slow machine only makes the polls run longer, never fail. */
const POLL_ATTEMPTS = 1500;

interface WrittenLine {
  timestamp: string;
  stream?: 'stdout' | 'stderr';
  message: string;
  truncated?: boolean;
  attempt?: number;
}

function aRequest(command: string[], env: Record<string, string> = {}): RunTaskRequest {
  return { jobId: newJobId(), profile: 'default', command, env, publicIp: false };
}

/** Polls `check` until it returns a value other than undefined, a bounded number of times. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await delay(POLL_INTERVAL_MS);
  }
  throw new Error(`gave up waiting: ${what}`);
}

async function untilStopped(runner: ProcessTaskRunner, taskArn: string): Promise<TaskSnapshot> {
  return eventually(`task ${taskArn} to stop`, async () => {
    const snapshot = await runner.describeTask(taskArn);
    return snapshot.lastStatus === 'STOPPED' ? snapshot : undefined;
  });
}

function isoTimestamp(value: string): boolean {
  return !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;
}

/** A process is gone once it no longer exists or is only a zombie waiting to be reaped. */
function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The job spawners `parent` has forked (their command line names spawner-process.ts) and that are still running. */
function spawnersOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return parentPid === parent && !processGone(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('spawner-process.ts');
      } catch {
        return false;
      }
    });
}

describe('ProcessTaskRunner', () => {
  let dataDir: string;
  let runner: ProcessTaskRunner;
  /** Kills 300 ms after SIGTERM, for the process that ignores it. */
  let impatientRunner: ProcessTaskRunner;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fargate-jobs-runner-'));
    runner = new ProcessTaskRunner({ dataDir, logger: silentLogger });
    impatientRunner = new ProcessTaskRunner({ dataDir, logger: silentLogger, stopGraceMs: 300 });
  });
  after(async () => {
    await runner.stopAll('test cleanup');
    await impatientRunner.stopAll('test cleanup');
    await rm(dataDir, { recursive: true, force: true });
  });

  async function logOf(jobId: string): Promise<WrittenLine[]> {
    const text = await readFile(logFilePath(dataDir, jobId), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as WrittenLine);
  }

  async function messagesOf(jobId: string): Promise<string[]> {
    return (await logOf(jobId)).map((line) => line.message);
  }

  async function untilLogged(jobId: string, message: string): Promise<void> {
    await eventually(`'${message}' in the log of ${jobId}`, async () =>
      (await messagesOf(jobId)).includes(message) ? true : undefined,
    );
  }

  /** Starts a request that must start; returns its task ARN. */
  async function started(taskRunner: ProcessTaskRunner, request: RunTaskRequest): Promise<string> {
    const result = await taskRunner.runTask(request);
    assert.equal(result.started, true, `expected ${request.command.join(' ')} to start`);
    return result.started ? result.taskArn : '';
  }

  /** sh that prints "ready", then waits until a file named `go` appears in its work dir, then exits 4. */
  const WAIT_FOR_GO = ['sh', '-c', 'echo ready; while [ ! -f go ]; do sleep 0.05; done; exit 4'];

  async function sayGo(jobId: string): Promise<void> {
    await writeFile(join(dataDir, 'work', jobId, 'go'), '');
  }

  describe('running a command', () => {
    it('runs the argv with no shell: shell syntax reaches the program as literal text', async () => {
      // Prepare
      const request = aRequest(['echo', '$HOME; rm -rf /']);

      // Act
      const taskArn = await started(runner, request);
      const stopped = await untilStopped(runner, taskArn);

      // Assess
      assert.equal(stopped.exitCode, 0);
      assert.deepEqual(await messagesOf(request.jobId), ['$HOME; rm -rf /']);
    });

    it('runs in the per-job work directory <dataDir>/work/<jobId>', async () => {
      // Prepare
      const request = aRequest(['touch', 'made-by-the-job']);

      // Act
      const taskArn = await started(runner, request);
      await untilStopped(runner, taskArn);

      // Assess
      assert.equal(existsSync(join(dataDir, 'work', request.jobId, 'made-by-the-job')), true);
      assert.equal(existsSync(join(dataDir, 'made-by-the-job')), false);
    });

    it("passes the job's environment variables", async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'echo "$GREETING, $NAME"'], { GREETING: 'hi', NAME: 'local job' });

      // Act
      const taskArn = await started(runner, request);
      await untilStopped(runner, taskArn);

      // Assess
      assert.deepEqual(await messagesOf(request.jobId), ['hi, local job']);
    });

    it('writes stdout and stderr lines to the log file, each timestamped with its stream', async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'echo to-stdout; echo to-stderr >&2']);

      // Act
      const taskArn = await started(runner, request);
      await untilStopped(runner, taskArn);

      // Assess
      const lines = await logOf(request.jobId);
      assert.equal(lines.length, 2);
      const stdout = lines.find((line) => line.message === 'to-stdout');
      const stderr = lines.find((line) => line.message === 'to-stderr');
      assert.equal(stdout?.stream, 'stdout');
      assert.equal(stderr?.stream, 'stderr');
      assert.ok(lines.every((line) => isoTimestamp(line.timestamp)), JSON.stringify(lines));
    });

    it('has every output line in the log, in order, once the task is STOPPED', async () => {
      // Prepare
      const request = aRequest(['seq', '1', '2000']);

      // Act
      const taskArn = await started(runner, request);
      await untilStopped(runner, taskArn);

      // Assess
      assert.deepEqual(
        await messagesOf(request.jobId),
        Array.from({ length: 2000 }, (_unused, index) => String(index + 1)),
      );
    });

    it('keeps a last line that has no trailing newline', async () => {
      // Prepare
      const request = aRequest(['printf', 'first\\nno newline at the end']);

      // Act
      const taskArn = await started(runner, request);
      await untilStopped(runner, taskArn);

      // Assess
      assert.deepEqual(await messagesOf(request.jobId), ['first', 'no newline at the end']);
    });

    it('reports the exit code once STOPPED, with stopCode EssentialContainerExited', async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'exit 3']);

      // Act
      const taskArn = await started(runner, request);
      const stopped = await untilStopped(runner, taskArn);

      // Assess
      assert.equal(stopped.taskArn, taskArn);
      assert.equal(stopped.exitCode, 3);
      assert.equal(stopped.stopCode, 'EssentialContainerExited');
      assert.ok(stopped.startedAt && isoTimestamp(stopped.startedAt));
      assert.ok(stopped.stoppedAt && isoTimestamp(stopped.stoppedAt));
    });

    it('reports a command that does not exist as START_FAILED with stop code CommandNotFound, naming the command', async () => {
      // Prepare
      const request = aRequest(['no-such-command-fargate-jobs', '--flag']);

      // Act
      const result = await runner.runTask(request);

      // Assess
      assert.equal(result.started, false);
      if (result.started) return;
      assert.equal(result.failure.category, 'START_FAILED');
      assert.match(result.failure.message, /no-such-command-fargate-jobs/);
      assert.equal(result.failure.stopCode, 'CommandNotFound');
      await assert.rejects(runner.describeTask(localTaskArn(request.jobId)), { name: 'TaskNotFound' });
    });

    it('starts one process when runTask is called twice for the same job, and returns the same taskArn', async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'echo run >> runs.txt']);

      // Act
      const first = await runner.runTask(request);
      const second = await runner.runTask(request);
      const firstArn = first.started ? first.taskArn : 'not started';
      await untilStopped(runner, firstArn);

      // Assess
      assert.deepEqual(second, first);
      assert.equal(await readFile(join(dataDir, 'work', request.jobId, 'runs.txt'), 'utf8'), 'run\n');
    });

    it("runs each attempt of a job as a task of its own, in the job's work directory, its lines appended with their attempt", async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'echo run >> runs.txt; echo "attempt $FARGATE_JOBS_ATTEMPT"']);

      // Act
      const first = await started(runner, { ...request, env: { FARGATE_JOBS_ATTEMPT: '1' }, attempt: 1 });
      await untilStopped(runner, first);
      const second = await started(runner, { ...request, env: { FARGATE_JOBS_ATTEMPT: '2' }, attempt: 2 });
      const again = await runner.runTask({ ...request, env: { FARGATE_JOBS_ATTEMPT: '2' }, attempt: 2 });
      await untilStopped(runner, second);

      // Assess
      assert.equal(first, localTaskArn(request.jobId));
      assert.equal(second, localTaskArn(request.jobId, 2));
      assert.equal(again.started && again.taskArn, second, 'the same attempt again is the same task');
      assert.equal(await readFile(join(dataDir, 'work', request.jobId, 'runs.txt'), 'utf8'), 'run\nrun\n');
      assert.deepEqual((await logOf(request.jobId)).map((line) => [line.attempt, line.message]), [[undefined, 'attempt 1'], [2, 'attempt 2']]);
    });

    it('starts one process when runTask is called twice at once for the same job', async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'echo run >> runs.txt']);

      // Act
      const [first, second] = await Promise.all([runner.runTask(request), runner.runTask(request)]);
      const firstArn = first.started ? first.taskArn : 'not started';
      await untilStopped(runner, firstArn);

      // Assess
      assert.deepEqual(second, first);
      assert.equal(await readFile(join(dataDir, 'work', request.jobId, 'runs.txt'), 'utf8'), 'run\n');
    });

    it('reports STOPPED when the main process exits, even if a background child keeps stdout open; the child is ended', async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'sleep 1000 & echo $! > background.pid; echo main-done']);
      let backgroundPid: number | undefined;

      try {
        // Act
        const taskArn = await started(runner, request);
        const stopped = await untilStopped(runner, taskArn);
        backgroundPid = Number(await readFile(join(dataDir, 'work', request.jobId, 'background.pid'), 'utf8'));
        const pid = backgroundPid;

        // Assess
        assert.equal(stopped.exitCode, 0);
        assert.deepEqual(await messagesOf(request.jobId), ['main-done']);
        await eventually(`background process ${pid} to be gone`, () => (processGone(pid) ? true : undefined));
      } finally {
        if (backgroundPid && !processGone(backgroundPid)) process.kill(backgroundPid, 'SIGKILL');
      }
    });
  });

  describe('stopping a task', () => {
    it('sends SIGTERM: a trap runs and its exit code is reported, with stopCode UserInitiated and the reason', async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while true; do sleep 0.05; done']);
      const taskArn = await started(runner, request);
      await untilLogged(request.jobId, 'ready');

      // Act
      await runner.stopTask(taskArn, 'cancelled by alice');
      const stopped = await untilStopped(runner, taskArn);

      // Assess
      assert.equal(stopped.exitCode, 7);
      assert.equal(stopped.stopCode, 'UserInitiated');
      assert.equal(stopped.stoppedReason, 'cancelled by alice');
      const messages = await messagesOf(request.jobId);
      assert.equal(messages[0], 'ready');
      assert.equal(messages.at(-1), 'got-term');
    });

    it('SIGKILLs a process that ignores SIGTERM once the grace period is over (exit code 137)', async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.05; done']);
      const taskArn = await started(impatientRunner, request);
      await untilLogged(request.jobId, 'ready');

      // Act
      await impatientRunner.stopTask(taskArn, 'timed out');
      const stopped = await untilStopped(impatientRunner, taskArn);

      // Assess
      assert.equal(stopped.exitCode, 137);
      assert.equal(stopped.stopCode, 'UserInitiated');
      assert.equal(stopped.stoppedReason, 'timed out');
    });
  });

  describe('the process of a task', () => {
    it("reports the child's pid, its own process group and its start time as /proc has it", async () => {
      // Prepare
      const request = aRequest(['sh', '-c', 'echo $$ > pid; exec sleep 30']);

      // Act
      const result = await runner.runTask(request);

      // Assess
      assert.equal(result.started, true);
      if (!result.started) return;
      try {
        const pidFile = join(dataDir, 'work', request.jobId, 'pid');
        const pid = await eventually('the job to write its pid', async () => Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10) || undefined);
        assert.equal(result.process?.pid, pid);
        assert.equal(result.process?.processGroup, pid);
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        assert.equal(result.process?.startTime, stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      } finally {
        await runner.stopTask(result.taskArn, 'test cleanup');
        await untilStopped(runner, result.taskArn);
      }
    });
  });

  describe('a task a previous runner started (its server was killed)', () => {
    /** Starts `command` with `starter` and returns what a runner started later knows of it: the ARN and the recorded process. */
    async function startedElsewhere(starter: ProcessTaskRunner, command: string[]): Promise<{ taskArn: string; process: JobProcess; jobId: string }> {
      const request = aRequest(command);
      const result = await starter.runTask(request);
      assert.ok(result.started && result.process, 'the task started and its process was reported');
      await untilLogged(request.jobId, 'ready');
      return { taskArn: result.taskArn, process: result.process, jobId: request.jobId };
    }

    it('is stopped with SIGTERM to its process group when its recorded process is still there; stopTask returns once it has gone', async () => {
      // Prepare
      const starter = new ProcessTaskRunner({ dataDir, logger: silentLogger });
      const { taskArn, process: recorded } = await startedElsewhere(starter, ['sh', '-c', 'sleep 30 & echo $! > child.pid; echo ready; wait']);
      const restarted = new ProcessTaskRunner({ dataDir, logger: silentLogger });

      // Act
      await restarted.stopTask(taskArn, 'the server restarted', { process: recorded });

      // Assess
      assert.equal(processGone(recorded.pid), true, 'the process has gone when stopTask returns');
      const stopped = await untilStopped(starter, taskArn);
      assert.equal(stopped.exitCode, 143, 'it died of the SIGTERM');
    });

    it('is SIGKILLed, with the rest of its group, when it ignores SIGTERM for the grace period', async () => {
      // Prepare
      const starter = new ProcessTaskRunner({ dataDir, logger: silentLogger });
      const { taskArn, process: recorded, jobId } = await startedElsewhere(starter, ['sh', '-c', 'trap "" TERM; sleep 30 & echo $! > child.pid; echo ready; while true; do sleep 0.05; done']);
      const child = Number(await readFile(join(dataDir, 'work', jobId, 'child.pid'), 'utf8'));
      const restarted = new ProcessTaskRunner({ dataDir, logger: silentLogger, stopGraceMs: 300 });

      // Act
      const startedStopping = Date.now();
      await restarted.stopTask(taskArn, 'the server restarted', { process: recorded });

      // Assess
      assert.ok(Date.now() - startedStopping >= 300, 'SIGKILL came only after the grace period');
      assert.equal(processGone(recorded.pid), true);
      await eventually(`its background child ${child} to be gone`, () => (processGone(child) ? true : undefined));
      assert.equal((await untilStopped(starter, taskArn)).exitCode, 137);
    });

    it('is reported not found, and nothing is signalled, when its pid now names another process (another start time)', async () => {
      // Prepare: a live process in a group of its own, as a job's would be, with a pid the record names.
      const unrelated = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
      const pid = unrelated.pid ?? 0;
      const restarted = new ProcessTaskRunner({ dataDir, logger: silentLogger });
      try {
        // Act
        const stopping = restarted.stopTask(localTaskArn(newJobId()), 'the server restarted', { process: { pid, processGroup: pid, startTime: '1' } });

        // Assess
        await assert.rejects(stopping, { name: 'TaskNotFound' });
        await delay(200);
        assert.equal(processGone(pid), false, 'the unrelated process is still running');
      } finally {
        unrelated.kill('SIGKILL');
      }
    });

    it('is reported not found when its process has gone, or no process was recorded', async () => {
      // Prepare
      const starter = new ProcessTaskRunner({ dataDir, logger: silentLogger });
      const request = aRequest(['true']);
      const result = await starter.runTask(request);
      assert.ok(result.started);
      await untilStopped(starter, result.taskArn);
      const restarted = new ProcessTaskRunner({ dataDir, logger: silentLogger });
      const recorded = result.process ?? { pid: 2 ** 22 + 1, processGroup: 2 ** 22 + 1, startTime: '1' };

      // Act and assess
      await assert.rejects(restarted.stopTask(result.taskArn, 'the server restarted', { process: recorded }), { name: 'TaskNotFound' });
      await assert.rejects(restarted.stopTask(result.taskArn, 'the server restarted'), { name: 'TaskNotFound' });
    });
  });

  describe('the size limit of a log', () => {
    const MAX_LOG_BYTES = 2000;

    it("counts the job's own output: stderr before the limit is kept, stdout fills it to the byte, then one marker line; the job runs to its end", async () => {
      // Prepare: 15 bytes on stderr, then 300 stdout lines of 10 bytes each; 1985 bytes leave room for 198 of them.
      const capped = new ProcessTaskRunner({ dataDir, logger: silentLogger, maxLogBytes: MAX_LOG_BYTES });
      const request = aRequest(['sh', '-c', 'echo before-the-cap >&2; sleep 0.2; yes 123456789 | head -n 300; echo after-the-cap >&2; echo done > finished']);

      // Act
      const taskArn = await started(capped, request);
      const stopped = await untilStopped(capped, taskArn);

      // Assess
      assert.equal(stopped.exitCode, 0);
      assert.equal(existsSync(join(dataDir, 'work', request.jobId, 'finished')), true, 'the job ran to its end');
      const lines = await logOf(request.jobId);
      const output = lines.filter((line) => line.truncated !== true);
      assert.deepEqual(output[0], { timestamp: output[0]?.timestamp, stream: 'stderr', message: 'before-the-cap' });
      const stdout = output.filter((line) => line.stream === 'stdout');
      assert.equal(stdout.length, 198, 'stdout filled the limit, not a tenth of it');
      const keptBytes = output.reduce((total, line) => total + Buffer.byteLength(line.message) + 1, 0);
      assert.ok(keptBytes <= MAX_LOG_BYTES && keptBytes > MAX_LOG_BYTES - 10, `the job's kept output is ${keptBytes} bytes`);
      assert.equal(lines.length, output.length + 1);
      assert.equal(lines.at(-1)?.truncated, true, 'one marker line ends the file');
      assert.equal(lines.at(-1)?.stream, undefined, 'the marker is no stream of the job');
      assert.equal(lines.some((line) => line.message === 'after-the-cap'), false);
    });

    it('keeps output of exactly the limit whole, with no marker', async () => {
      // Prepare: 200 lines of 10 bytes.
      const capped = new ProcessTaskRunner({ dataDir, logger: silentLogger, maxLogBytes: MAX_LOG_BYTES });
      const request = aRequest(['sh', '-c', 'yes 123456789 | head -n 200']);

      // Act
      await untilStopped(capped, await started(capped, request));

      // Assess
      const lines = await logOf(request.jobId);
      assert.equal(lines.length, 200);
      assert.equal(lines.some((line) => line.truncated), false);
    });

    it('adds no truncation line to a log within its limit', async () => {
      // Prepare
      const capped = new ProcessTaskRunner({ dataDir, logger: silentLogger, maxLogBytes: MAX_LOG_BYTES });
      const request = aRequest(['seq', '1', '10']);

      // Act
      await untilStopped(capped, await started(capped, request));

      // Assess
      const lines = await logOf(request.jobId);
      assert.deepEqual(lines.map((line) => line.message), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
      assert.equal(lines.some((line) => line.truncated), false);
    });
  });

  describe('removeTaskFiles', () => {
    it("removes the job's work directory and log file, and nothing of other jobs", async () => {
      // Prepare
      const removed = aRequest(['sh', '-c', 'echo output; mkdir -p sub; touch sub/file']);
      const kept = aRequest(['echo', 'kept']);
      await untilStopped(runner, await started(runner, removed));
      await untilStopped(runner, await started(runner, kept));

      // Act
      await runner.removeTaskFiles(removed.jobId);
      await runner.removeTaskFiles(removed.jobId);

      // Assess
      assert.equal(existsSync(join(dataDir, 'work', removed.jobId)), false);
      assert.equal(existsSync(logFilePath(dataDir, removed.jobId)), false);
      assert.equal(existsSync(join(dataDir, 'work', kept.jobId)), true);
      assert.deepEqual(await messagesOf(kept.jobId), ['kept']);
    });

    it('refuses anything but a job id, so no other path can be named', async () => {
      await assert.rejects(runner.removeTaskFiles('../logs'), /not a job id/);
      assert.equal(existsSync(join(dataDir, 'logs')), true);
    });
  });

  describe('task state changes', () => {
    it('tells RUNNING when the process starts, then STOPPING and STOPPED with its exit code, numbered in order, as ECS numbers its events', async () => {
      // Prepare
      const changes: TaskStateChange[] = [];
      const watched = new ProcessTaskRunner({ dataDir, logger: silentLogger, onTaskStateChange: (change) => changes.push(change) });
      const request = aRequest(WAIT_FOR_GO);
      const taskArn = await started(watched, request);
      await untilLogged(request.jobId, 'ready');

      // Act
      await watched.stopTask(taskArn, 'cancelled by alice');
      await untilStopped(watched, taskArn);

      // Assess
      assert.deepEqual(
        changes.map(({ jobId, lastStatus, version, execAgentStatus }) => ({ jobId, lastStatus, version, execAgentStatus })),
        [
          // One may exec into the process while it runs, and no longer once it is being stopped.
          { jobId: request.jobId, lastStatus: 'RUNNING', version: 1, execAgentStatus: 'RUNNING' },
          { jobId: request.jobId, lastStatus: 'STOPPING', version: 2, execAgentStatus: 'STOPPED' },
          { jobId: request.jobId, lastStatus: 'STOPPED', version: 3, execAgentStatus: 'STOPPED' },
        ],
      );
      assert.equal(changes[2]?.stopCode, 'UserInitiated');
      assert.equal(changes[2]?.exitCode, 143, 'SIGTERM: 128 + 15');
      assert.deepEqual(changes[2], { ...(await watched.describeTask(taskArn)), jobId: request.jobId, version: 3 }, 'the last change is the task as described');
    });

    it('tells the STOPPED of a process that exits by itself, with its exit code', async () => {
      // Prepare
      const changes: TaskStateChange[] = [];
      const watched = new ProcessTaskRunner({ dataDir, logger: silentLogger, onTaskStateChange: (change) => changes.push(change) });
      const request = aRequest(['sh', '-c', 'exit 4']);

      // Act
      const taskArn = await started(watched, request);
      await untilStopped(watched, taskArn);

      // Assess
      assert.deepEqual(changes.map((change) => [change.lastStatus, change.exitCode ?? null, change.execAgentStatus]), [['RUNNING', null, 'RUNNING'], ['STOPPED', 4, 'STOPPED']]);
    });
  });

  describe('the job spawner (the small process that starts the jobs)', () => {
    it('when it dies, the job it watched is STOPPED with no exit code (FAILED/INTERNAL) and killed; the next job starts from a new spawner', async () => {
      // Prepare
      const before = new Set(spawnersOf(process.pid));
      const ownRunner = new ProcessTaskRunner({ dataDir, logger: silentLogger });
      const spawner = await eventually('the runner to fork its spawner', () => spawnersOf(process.pid).find((pid) => !before.has(pid)));
      const request = aRequest(['sh', '-c', 'echo ready; sleep 30']);
      const result = await ownRunner.runTask(request);
      assert.ok(result.started && result.process, 'the job started');
      await untilLogged(request.jobId, 'ready');

      // Act
      process.kill(spawner, 'SIGKILL');
      const stopped = await untilStopped(ownRunner, result.taskArn);
      const next = aRequest(['sh', '-c', 'echo after; exit 3']);
      const nextArn = await started(ownRunner, next);
      const nextStopped = await untilStopped(ownRunner, nextArn);

      // Assess
      assert.equal(stopped.exitCode, null);
      assert.equal(stopped.stopCode, SPAWNER_LOST);
      assert.equal(classifyStop(stopped).failure?.category, 'INTERNAL');
      const jobPid = result.process.pid;
      await eventually(`the lost job ${jobPid} to be killed`, () => (processGone(jobPid) ? true : undefined));
      assert.equal(nextStopped.exitCode, 3);
      assert.deepEqual(await messagesOf(next.jobId), ['after']);
      await ownRunner.stopAll('test cleanup');
      ownRunner.close();
    });

    it('ends with its server: a server SIGKILLed leaves no spawner behind, and its job runs on (an orphan, as before)', async () => {
      // Prepare: a server of its own, which reports its spawner's pid and its job's, then waits to be killed.
      const runnerModule = new URL('../../lib/adapters/local/process-task-runner.ts', import.meta.url).href;
      const script = `
        import { ProcessTaskRunner } from ${JSON.stringify(runnerModule)};
        const runner = new ProcessTaskRunner({ dataDir: ${JSON.stringify(dataDir)}, logger: { debug() {}, info() {}, warn() {}, error() {} } });
        const result = await runner.runTask({ jobId: ${JSON.stringify(newJobId())}, profile: 'default', command: ['sleep', '30'], env: {}, publicIp: false });
        console.log(JSON.stringify({ job: result.process.pid }));
        setInterval(() => undefined, 1000);`;
      const server = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let job: number | undefined;
      try {
        const [line] = (await once(createInterface({ input: server.stdout }), 'line')) as [string];
        job = (JSON.parse(line) as { job: number }).job;
        const serverPid = server.pid ?? 0;
        const [spawner] = spawnersOf(serverPid);
        assert.ok(spawner, 'the server forked a spawner');

        // Act
        server.kill('SIGKILL');

        // Assess
        await eventually(`its spawner ${spawner} to exit`, () => (processGone(spawner) ? true : undefined));
        assert.equal(processGone(job), false, 'the job runs on');
      } finally {
        server.kill('SIGKILL');
        if (job) process.kill(-job, 'SIGKILL');
      }
    });
  });

  describe('exec into a task', () => {
    const SERVER_URL = 'http://127.0.0.1:3999';

    /** A runner that knows its server's URL, with a 300 ms grace for the exec that ignores SIGTERM. */
    function execRunner(): ProcessTaskRunner {
      const withUrl = new ProcessTaskRunner({ dataDir, logger: silentLogger, stopGraceMs: 300 });
      withUrl.setServerUrl(SERVER_URL);
      return withUrl;
    }

    function execRequest(request: RunTaskRequest, taskArn: string, command: string[]): ExecRequest {
      return { jobId: request.jobId, profile: 'default', taskArn, command };
    }

    /** Opens a session and attaches to it: the started command, or the test fails. */
    async function execInto(taskRunner: ProcessTaskRunner, request: RunTaskRequest, taskArn: string, command: string[]): Promise<RunningExec> {
      const session = await taskRunner.execCommand(execRequest(request, taskArn, command));
      const attachment = await taskRunner.attachExec(session.sessionId, session.tokenValue);
      assert.ok('started' in attachment, `expected ${command.join(' ')} to start: ${JSON.stringify(attachment)}`);
      return attachment.started;
    }

    /** What the exec wrote, and its exit code. */
    async function outcomeOf(exec: RunningExec): Promise<{ stdout: string; stderr: string; exitCode: number }> {
      const read = async (stream: NodeJS.ReadableStream) => {
        let text = '';
        for await (const chunk of stream) text += String(chunk);
        return text;
      };
      const [stdout, stderr, exitCode] = await Promise.all([read(exec.stdout), read(exec.stderr), exec.exit]);
      return { stdout, stderr, exitCode };
    }

    it('says a running task takes an exec, and a stopped one not', async () => {
      // Prepare
      const taskRunner = execRunner();
      const request = aRequest(WAIT_FOR_GO);
      const taskArn = await started(taskRunner, request);

      // Act
      const running = await taskRunner.describeTask(taskArn);
      await sayGo(request.jobId);
      const stopped = await untilStopped(taskRunner, taskArn);

      // Assess
      assert.equal(running.execAgentStatus, 'RUNNING');
      assert.equal(stopped.execAgentStatus, 'STOPPED');
    });

    it("opens a session on the server's URL, and runs its command once attached: in the job's work directory, with the job's whole environment", async () => {
      // Prepare
      const taskRunner = execRunner();
      const request = aRequest(WAIT_FOR_GO, { GREETING: 'hello', API_TOKEN: 'the-secret-itself' });
      const taskArn = await started(taskRunner, request);
      // The job's own line first: on a busy machine it may reach the log after the exec has run.
      await untilLogged(request.jobId, 'ready');

      // Act
      const session = await taskRunner.execCommand(execRequest(request, taskArn, ['sh', '-c', 'pwd; echo "$GREETING $API_TOKEN"; echo to-stderr >&2; exit 5']));
      const attachment = await taskRunner.attachExec(session.sessionId, session.tokenValue);

      // Assess
      assert.equal(session.streamUrl, `${SERVER_URL}/exec-sessions/${session.sessionId}`);
      assert.equal(session.target, `local:${request.jobId}`);
      assert.equal(session.region, 'local');
      assert.ok('started' in attachment);
      assert.equal(attachment.jobId, request.jobId);
      assert.deepEqual(await outcomeOf(attachment.started), {
        stdout: `${join(dataDir, 'work', request.jobId)}\nhello the-secret-itself\n`,
        stderr: 'to-stderr\n',
        exitCode: 5,
      });
      assert.deepEqual(await messagesOf(request.jobId), ['ready'], "an exec's output is not the job's log");
      await sayGo(request.jobId);
      await untilStopped(taskRunner, taskArn);
    });

    it('attaches once, and only with the session\'s token', async () => {
      // Prepare
      const taskRunner = execRunner();
      const request = aRequest(WAIT_FOR_GO);
      const taskArn = await started(taskRunner, request);
      const session = await taskRunner.execCommand(execRequest(request, taskArn, ['true']));

      // Act
      const wrongToken = await taskRunner.attachExec(session.sessionId, 'A'.repeat(session.tokenValue.length));
      const first = await taskRunner.attachExec(session.sessionId, session.tokenValue);
      const second = await taskRunner.attachExec(session.sessionId, session.tokenValue);

      // Assess
      assert.deepEqual(wrongToken, { refused: 'unauthorized' });
      assert.ok('started' in first);
      assert.equal(await first.started.exit, 0);
      assert.deepEqual(second, { refused: 'unknown' });
      await sayGo(request.jobId);
      await untilStopped(taskRunner, taskArn);
    });

    it('tells a command that does not exist (127) or cannot be run (126), as a shell does', async () => {
      // Prepare
      const taskRunner = execRunner();
      const request = aRequest(WAIT_FOR_GO);
      const taskArn = await started(taskRunner, request);
      await writeFile(join(dataDir, 'work', request.jobId, 'not-executable'), 'echo hi\n', { mode: 0o600 });

      // Act
      const attachments = [];
      for (const command of [['no-such-command-fj'], ['./not-executable'], ['echo', 'nul\u0000byte']]) {
        const session = await taskRunner.execCommand(execRequest(request, taskArn, command));
        attachments.push(await taskRunner.attachExec(session.sessionId, session.tokenValue));
      }

      // Assess
      assert.deepEqual(attachments.slice(0, 2), [
        { jobId: request.jobId, failed: { exitCode: 127, message: 'no such file or command: no-such-command-fj' } },
        { jobId: request.jobId, failed: { exitCode: 126, message: 'permission denied: ./not-executable' } },
      ]);
      // No process can be given a NUL byte: refused before one is started, not thrown at the server.
      assert.ok(attachments[2] && 'failed' in attachments[2] && attachments[2].failed.exitCode === 126, JSON.stringify(attachments[2]));
      await sayGo(request.jobId);
      await untilStopped(taskRunner, taskArn);
    });

    it('refuses an exec into a task it does not know, or that has stopped (JOB_NOT_RUNNING)', async () => {
      // Prepare
      const taskRunner = execRunner();
      const request = aRequest(['true']);
      const taskArn = await started(taskRunner, request);
      await untilStopped(taskRunner, taskArn);
      const unknown = aRequest(['true']);

      // Act and assess
      for (const [jobRequest, arn] of [[request, taskArn], [unknown, localTaskArn(unknown.jobId)]] as const) {
        await assert.rejects(taskRunner.execCommand(execRequest(jobRequest, arn, ['sh'])), (error: unknown) => error instanceof ExecRefusedError && error.code === 'JOB_NOT_RUNNING');
      }
    });

    it('opens no session before it knows the URL its streams are attached to', async () => {
      // Prepare
      const request = aRequest(WAIT_FOR_GO);
      const taskArn = await started(runner, request);

      // Act and assess
      await assert.rejects(runner.execCommand(execRequest(request, taskArn, ['sh'])), /URL/);
      await sayGo(request.jobId);
      await untilStopped(runner, taskArn);
    });

    it('ends the execs of a task that is stopped (SIGTERM: 143), SIGKILLs one that ignores it after the grace period (137), and forgets its sessions', async () => {
      // Prepare
      const taskRunner = execRunner();
      const request = aRequest(WAIT_FOR_GO);
      const taskArn = await started(taskRunner, request);
      const polite = await execInto(taskRunner, request, taskArn, ['sleep', '100']);
      const stubborn = await execInto(taskRunner, request, taskArn, ['sh', '-c', 'trap "" TERM; touch trapped; while :; do sleep 0.05; done']);
      const pending = await taskRunner.execCommand(execRequest(request, taskArn, ['true']));
      await eventually('the trap to be set', () => (existsSync(join(dataDir, 'work', request.jobId, 'trapped')) ? true : undefined));

      // Act
      await taskRunner.stopTask(taskArn, 'cancelled by alice');

      // Assess
      assert.equal(await polite.exit, 143);
      assert.equal(await stubborn.exit, 137);
      assert.deepEqual(await taskRunner.attachExec(pending.sessionId, pending.tokenValue), { refused: 'unknown' });
      await untilStopped(taskRunner, taskArn);
    });

    it('ends the execs of a task whose process exits by itself', async () => {
      // Prepare
      const taskRunner = execRunner();
      const request = aRequest(WAIT_FOR_GO);
      const taskArn = await started(taskRunner, request);
      const exec = await execInto(taskRunner, request, taskArn, ['sleep', '100']);

      // Act
      await sayGo(request.jobId);

      // Assess
      assert.equal(await exec.exit, 143);
      assert.equal((await untilStopped(taskRunner, taskArn)).exitCode, 4);
    });

    it('ends what an exec left running in its group when the exec exits, and stopAll waits for its execs', async () => {
      // Prepare
      const taskRunner = execRunner();
      const request = aRequest(WAIT_FOR_GO);
      const taskArn = await started(taskRunner, request);

      // Act
      const exec = await execInto(taskRunner, request, taskArn, ['sh', '-c', 'sleep 100 > /dev/null 2>&1 & echo $!']);
      const { stdout, exitCode } = await outcomeOf(exec);
      const lingering = await execInto(taskRunner, request, taskArn, ['sleep', '100']);
      await taskRunner.stopAll('the server is shutting down');

      // Assess
      assert.equal(exitCode, 0);
      const background = Number(stdout.trim());
      await eventually(`the background sleep (${background}) to be gone`, () => (processGone(background) ? true : undefined));
      assert.ok(processGone(lingering.pid), 'stopAll returned before the exec had gone');
      assert.equal(await lingering.exit, 143);
      assert.equal((await taskRunner.describeTask(taskArn)).lastStatus, 'STOPPED');
    });
  });

  describe('unknown tasks', () => {
    it("describeTask and stopTask of an unknown task ARN fail with 'TaskNotFound'", async () => {
      // Prepare
      const unknownArn = localTaskArn(newJobId());

      // Act and assess
      await assert.rejects(runner.describeTask(unknownArn), { name: 'TaskNotFound' });
      await assert.rejects(runner.stopTask(unknownArn, 'cancelled'), { name: 'TaskNotFound' });
    });
  });
});
