/**
 * The composition root: the one place that chooses adapters. Handlers ask `dependencies()` for the
 * wired service and steps; the local server installs its local set with `useDependencies()` before
 * it serves, and tests build their own sets through the same constructors.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { localProfiles } from '#config/profiles.ts';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { ensureJobTable, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';
import { FileLogReader } from '#lib/adapters/local/file-log-reader.ts';
import { LocalWorkflow } from '#lib/adapters/local/local-workflow.ts';
import { ProcessTaskRunner } from '#lib/adapters/local/process-task-runner.ts';
import { JobService } from '#lib/domain/job-service.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { createSteps, type Steps } from '#lib/workflow/steps.ts';
import { createLogger } from '#lib/logger.ts';

export interface Dependencies {
  service: JobService;
  steps: Steps;
  logger: Logger;
}

export interface LocalDependencies extends Dependencies {
  workflow: LocalWorkflow;
  taskRunner: ProcessTaskRunner;
  database: EmbeddedDynamoDb;
  /** Stops running tasks, lets their workflows record the outcome, closes the store. */
  close(): Promise<void>;
}

export interface LocalOptions {
  /** Everything local mode keeps: `db/` (the store), `logs/`, `work/`. */
  dataDir: string;
  logger?: Logger;
  profiles?: Profile[];
  tableName?: string;
  stopGraceMs?: number;
}

const LOCAL_TABLE_NAME = 'fargate-jobs';

let installed: Promise<Dependencies> | undefined;

/** The wired dependencies of this process. */
export function dependencies(): Promise<Dependencies> {
  installed ??= Promise.reject(
    new Error(
      'fargate-jobs has no adapters configured in this process: local mode installs them at start-up (npm start); ' +
        'the AWS adapters are not wired into the Lambda handlers yet',
    ),
  );
  return installed;
}

export function useDependencies(deps: Dependencies): void {
  installed = Promise.resolve(deps);
}

/** Local mode: dynalite on disk, commands as child processes, the ASL run in-process. */
export async function createLocalDependencies(options: LocalOptions): Promise<LocalDependencies> {
  const logger = options.logger ?? createLogger();
  const dbPath = join(options.dataDir, 'db');
  mkdirSync(dbPath, { recursive: true });
  const database = await startEmbeddedDynamoDb({ path: dbPath });
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  await ensureJobTable(database.client, tableName);

  const store = new DynamoDbJobStore({ client: database.client, tableName });
  const taskRunner = new ProcessTaskRunner({
    dataDir: options.dataDir,
    logger,
    ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
  });
  const logReader = new FileLogReader(options.dataDir);
  const steps = createSteps({ store, taskRunner, logReader, logger });
  const workflow = new LocalWorkflow({ steps, logger, stopWatcher: taskRunner });
  const profiles = new Map((options.profiles ?? localProfiles).map((profile) => [profile.name, profile]));
  const service = new JobService({ store, taskRunner, logReader, workflow, profiles, logger });

  return {
    service,
    steps,
    logger,
    workflow,
    taskRunner,
    database,
    async close() {
      await taskRunner.stopAll('fargate-jobs: the local server is shutting down');
      await workflow.idle();
      await database.close();
    },
  };
}
