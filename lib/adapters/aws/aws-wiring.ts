/**
 * How each port is built on AWS: one factory per adapter, each making its SDK client once per
 * Lambda container. Plain function declarations, so a bundle keeps only the factories its handler
 * names (and their clients). Settings come from the environment serverless.yml sets.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { awsProfiles } from '#config/profiles.ts';
import { readAwsStageSettings, requiredEnv } from '#lib/config.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { JobStore, LogReader, TaskRunner, TokenStore, Workflow } from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { createLogger } from '#lib/logger.ts';
import { taskSettingsByProfile, type AwsProfile } from './aws-profile.ts';
import { CloudWatchLogReader } from './cloudwatch-log-reader.ts';
import { DynamoDbJobStore } from './dynamodb-job-store.ts';
import { DynamoDbTokenStore } from './dynamodb-token-store.ts';
import { EcsTaskRunner } from './ecs-task-runner.ts';
import { StepFunctionsWorkflow } from './sfn-workflow.ts';

let logger: Logger | undefined;
let profiles: AwsProfile[] | undefined;
let store: JobStore | undefined;
let tokens: TokenStore | undefined;
let workflow: Workflow | undefined;
let taskRunner: TaskRunner | undefined;
let taskRunnerWithNetwork: TaskRunner | undefined;
let logReader: LogReader | undefined;

export function awsLogger(): Logger {
  return (logger ??= createLogger());
}

function profileList(): AwsProfile[] {
  return (profiles ??= awsProfiles(readAwsStageSettings()));
}

export function awsProfileMap(): ReadonlyMap<string, Profile> {
  return new Map(profileList().map((profile) => [profile.name, profile]));
}

export function awsJobStore(): JobStore {
  return (store ??= new DynamoDbJobStore({ client: new DynamoDBClient({}), tableName: requiredEnv('JOBS_TABLE') }));
}

export function awsTokenStore(): TokenStore {
  return (tokens ??= new DynamoDbTokenStore({ client: new DynamoDBClient({}), tableName: requiredEnv('JOBS_TABLE') }));
}

export function awsWorkflow(): Workflow {
  return (workflow ??= new StepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn: requiredEnv('STATE_MACHINE_ARN') }));
}

/** Start and stop tasks; describes them without resolving public IPs. */
export function awsTaskRunner(): TaskRunner {
  return (taskRunner ??= new EcsTaskRunner({
    client: new ECSClient({}),
    settings: taskSettingsByProfile(profileList()),
    logger: awsLogger(),
  }));
}

/** Also resolves each task's network interface to its addresses (DescribeNetworkInterfaces). */
export function awsTaskRunnerWithNetwork(): TaskRunner {
  return (taskRunnerWithNetwork ??= new EcsTaskRunner({
    client: new ECSClient({}),
    settings: taskSettingsByProfile(profileList()),
    // Loaded on first use: the EC2 client is most of this bundle, and most polls need no lookup.
    network: async () => (await import('./ec2-network.ts')).createEc2NetworkResolver(),
    logger: awsLogger(),
  }));
}

export function awsLogReader(): LogReader {
  return (logReader ??= new CloudWatchLogReader({
    client: new CloudWatchLogsClient({}),
    settings: taskSettingsByProfile(profileList()),
  }));
}
