/**
 * The composition root on AWS: one factory per Lambda function, each building only the ports its
 * handler takes (so each bundle carries only those SDK clients) from the settings serverless.yml
 * sets. A handler module calls its factory when Lambda loads it: a missing setting fails the cold
 * start with a message naming the variable, never a request later.
 *
 *   export const handler = createJobHandler(awsPorts.createJob());
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import { SecretsManagerKey } from '#lib/adapters/aws/secrets-manager-key.ts';
import { StepFunctionsWorkflow } from '#lib/adapters/aws/sfn-workflow.ts';
import { requiredEnv, requiredLimit } from '#lib/config.ts';
import type { CancelJobPorts, JobLogPorts, JobReadPorts, SubmitJobPorts } from '#lib/domain/job-service.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { Dependencies, JobStore } from '#lib/domain/ports.ts';
import { createLogger } from '#lib/logger.ts';
import type { FinalizeJobPorts } from '#lib/workflow/finalize-job.ts';
import type { MarkFailedPorts } from '#lib/workflow/mark-failed.ts';
import type { PollTaskPorts } from '#lib/workflow/poll-task.ts';
import type { StartTaskPorts } from '#lib/workflow/start-task.ts';
import type { StopTaskPorts } from '#lib/workflow/stop-task.ts';
import { taskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { cloudWatchLogReader, ecsTaskRunner, ecsTaskRunnerWithNetwork, profileMap, stageProfiles, stageTaskSettings } from './aws-adapters.ts';

type Logged = { logger: Logger };

export function authorizer(): Pick<Dependencies, 'tokens' | 'logger'> {
  const tableName = requiredEnv('JOBS_TABLE');
  return { tokens: new DynamoDbTokenStore({ client: new DynamoDBClient({}), tableName }), logger: createLogger() };
}

export function createJob(): SubmitJobPorts & Logged {
  const profiles = profileMap(stageProfiles());
  const stateMachineArn = requiredEnv('STATE_MACHINE_ARN');
  const requestHashKeySecret = requiredEnv('REQUEST_HASH_KEY_SECRET');
  const maxActiveJobsPerToken = requiredLimit('MAX_ACTIVE_JOBS_PER_TOKEN');
  return {
    store: jobStore(),
    workflow: new StepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn }),
    profiles,
    logger: createLogger(),
    requestHashKey: new SecretsManagerKey({ client: new SecretsManagerClient({}), secretId: requestHashKeySecret }),
    ...(maxActiveJobsPerToken === undefined ? {} : { maxActiveJobsPerToken }),
  };
}

export function listJobs(): JobReadPorts & Logged {
  return { store: jobStore(), logger: createLogger() };
}

export function getJob(): JobReadPorts & Logged {
  return { store: jobStore(), logger: createLogger() };
}

export function cancelJob(): CancelJobPorts & Logged {
  const settings = stageTaskSettings();
  const logger = createLogger();
  return { store: jobStore(), taskRunner: ecsTaskRunner(settings, logger), logger };
}

export function getJobLogs(): JobLogPorts & Logged {
  const settings = stageTaskSettings();
  return { store: jobStore(), logReader: cloudWatchLogReader(settings), logger: createLogger() };
}

export function startTask(): StartTaskPorts {
  const settings = stageTaskSettings();
  const logger = createLogger();
  return { store: jobStore(), taskRunner: ecsTaskRunner(settings, logger), logger };
}

/** The only function that looks up public IPs, so the only one whose bundle has the EC2 client. */
export function pollTask(): PollTaskPorts {
  const profiles = stageProfiles();
  return {
    store: jobStore(),
    taskRunner: ecsTaskRunnerWithNetwork(taskSettingsByProfile(profiles), createLogger()),
    profiles: profileMap(profiles),
  };
}

export function stopTask(): StopTaskPorts {
  const settings = stageTaskSettings();
  const logger = createLogger();
  return { taskRunner: ecsTaskRunner(settings, logger), logger };
}

export function finalizeJob(): FinalizeJobPorts {
  const profiles = stageProfiles();
  const settings = taskSettingsByProfile(profiles);
  const logger = createLogger();
  return {
    store: jobStore(),
    taskRunner: ecsTaskRunner(settings, logger),
    logReader: cloudWatchLogReader(settings),
    profiles: profileMap(profiles),
    logger,
  };
}

export function markFailed(): MarkFailedPorts {
  const settings = stageTaskSettings();
  const logger = createLogger();
  return { store: jobStore(), taskRunner: ecsTaskRunner(settings, logger), logger };
}

function jobStore(): JobStore {
  return new DynamoDbJobStore({ client: new DynamoDBClient({}), tableName: requiredEnv('JOBS_TABLE') });
}
