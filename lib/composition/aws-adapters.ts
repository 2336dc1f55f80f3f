/**
 * The AWS adapters that run jobs as Fargate tasks, built from a stage's settings: shared by the
 * Lambda factories (aws.ts) and by local mode on real ECS (local.ts). The SDK clients take their
 * region, credentials and endpoints (AWS_ENDPOINT_URL_ECS, …) from the environment as usual.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { awsProfiles } from '#config/profiles.ts';
import { CloudWatchLogReader } from '#lib/adapters/aws/cloudwatch-log-reader.ts';
import { EcsTaskRunner } from '#lib/adapters/aws/ecs-task-runner.ts';
import { readAwsStageSettings } from '#lib/config.ts';
import { taskSettingsByProfile, type AwsProfile, type AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { checkCapacitySettings } from '#lib/domain/capacity.ts';
import { coalescedLogReads } from '#lib/domain/coalesced-log-reads.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { LogReader, NetworkResolver, TaskRunner } from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { checkRetrySettings } from '#lib/domain/retry.ts';

/**
 * The stage's profiles, from ECS_CLUSTER, TASK_SUBNETS, … and TASK_CAPACITY (fails naming the first
 * one missing or malformed, or a profile whose capacity settings Fargate would refuse).
 */
export function stageProfiles(env: NodeJS.ProcessEnv = process.env): AwsProfile[] {
  const profiles = awsProfiles(readAwsStageSettings(env));
  for (const profile of profiles) checkCapacitySettings(profile);
  return profiles;
}

/** Where and how each of the stage's profiles runs its tasks, by profile name. */
export function stageTaskSettings(env: NodeJS.ProcessEnv = process.env): AwsTaskSettingsByProfile {
  return taskSettingsByProfile(stageProfiles(env));
}

/** The profiles by name; fails naming a profile whose retry settings no job could keep to. */
export function profileMap(profiles: readonly Profile[]): ReadonlyMap<string, Profile> {
  for (const profile of profiles) checkRetrySettings(profile);
  return new Map(profiles.map((profile) => [profile.name, profile]));
}

/** Starts, stops and describes tasks; a description's network has the private IP ECS reports. */
export function ecsTaskRunner(settings: AwsTaskSettingsByProfile, logger: Logger): TaskRunner {
  return new EcsTaskRunner({ client: new ECSClient({}), settings, logger });
}

/**
 * Also resolves each task's network interface to its public IP (DescribeNetworkInterfaces). The EC2
 * client is most of a bundle and most polls need no lookup, so it is loaded on first need; a
 * separate function, so that only the bundles that call it carry it.
 */
export function ecsTaskRunnerWithNetwork(settings: AwsTaskSettingsByProfile, logger: Logger): TaskRunner {
  return new EcsTaskRunner({
    client: new ECSClient({}),
    settings,
    logger,
    network: lazyEc2NetworkResolver(),
  });
}

/** A resolver loaded by `load` on its first lookup, once. */
export function lazyNetworkResolver(load: () => Promise<NetworkResolver>): NetworkResolver {
  let resolver: Promise<NetworkResolver> | undefined;
  return {
    async resolve(eniId, privateIpFromAttachment) {
      resolver ??= load();
      return (await resolver).resolve(eniId, privateIpFromAttachment);
    },
  };
}

/**
 * The EC2 resolver of public IPs, its client loaded on the first lookup: a function that only ever
 * sees jobs without a public IP never loads it (and its cold start stays small).
 */
export function lazyEc2NetworkResolver(): NetworkResolver {
  return lazyNetworkResolver(async () => (await import('#lib/adapters/aws/ec2-network.ts')).createEc2NetworkResolver());
}

/** One GetLogEvents per job at a time from this process (lib/domain/coalesced-log-reads.ts says where that matters). */
export function cloudWatchLogReader(settings: AwsTaskSettingsByProfile): LogReader {
  return coalescedLogReads(new CloudWatchLogReader({ client: new CloudWatchLogsClient({}), settings }));
}
