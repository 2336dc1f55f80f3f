/**
 * Local mode's composition: dynalite on disk, commands as child processes, the ASL run in-process.
 * It lives beside the local server, not in `lib/`, so that no Lambda bundle ever contains the local
 * adapters (dynalite brings a native module).
 */
import { localProfiles } from '#config/profiles.ts';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import type { EmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';
import { FileLogReader } from '#lib/adapters/local/file-log-reader.ts';
import { LocalWorkflow } from '#lib/adapters/local/local-workflow.ts';
import { ProcessTaskRunner } from '#lib/adapters/local/process-task-runner.ts';
import type { Dependencies } from '#lib/dependencies.ts';
import { JobService } from '#lib/domain/job-service.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { createLogger } from '#lib/logger.ts';
import { createSteps, type Steps } from '#lib/workflow/steps.ts';
import { LOCAL_TABLE_NAME, openOwnedStore } from './local-store.ts';

export interface LocalDependencies extends Dependencies {
  service: JobService;
  steps: Steps;
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

/** Local mode: dynalite on disk, commands as child processes, the ASL run in-process. */
export async function createLocalDependencies(options: LocalOptions): Promise<LocalDependencies> {
  const logger = options.logger ?? createLogger();
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  const database = await openOwnedStore(options.dataDir, tableName);

  const store = new DynamoDbJobStore({ client: database.client, tableName });
  const tokens = new DynamoDbTokenStore({ client: database.client, tableName });
  const taskRunner = new ProcessTaskRunner({
    dataDir: options.dataDir,
    logger,
    ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
  });
  const logReader = new FileLogReader(options.dataDir);
  const profiles = new Map((options.profiles ?? localProfiles).map((profile) => [profile.name, profile]));
  const steps = createSteps({ store, taskRunner, logReader, profiles, logger });
  const workflow = new LocalWorkflow({ steps, logger, stopWatcher: taskRunner });
  const service = new JobService({ store, taskRunner, logReader, workflow, profiles, logger });

  return {
    store,
    tokens,
    workflow,
    taskRunner,
    logReader,
    profiles,
    logger,
    service,
    steps,
    database,
    async close() {
      await taskRunner.stopAll('fargate-jobs: the local server is shutting down');
      await workflow.idle();
      await database.close();
    },
  };
}
