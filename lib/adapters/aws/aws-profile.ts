/**
 * What a profile means on AWS: where and how its task runs. Server-side only; the values that differ
 * per stage (cluster, subnets, security groups, log group) come from the deployment's environment.
 */
import type { Profile } from '#lib/domain/profile.ts';

export type CapacityProvider = 'FARGATE' | 'FARGATE_SPOT';

export interface AwsTaskSettings {
  /** Cluster name or ARN. */
  cluster: string;
  /** Task definition family (its latest ACTIVE revision runs) or `family:revision`. */
  taskDefinition: string;
  /** The watched container: it gets the command override, and its exit code is the job's. */
  container: string;
  subnets: string[];
  securityGroups: string[];
  /** Launch on FARGATE, or spread over capacity providers (Spot). */
  capacityProviderStrategy: Array<{ capacityProvider: CapacityProvider; weight: number; base?: number }>;
  /** awslogs settings of the watched container: its stream is `<prefix>/<container>/<task id>`. */
  logGroup: string;
  logStreamPrefix: string;
}

export interface AwsProfile extends Profile {
  aws: AwsTaskSettings;
}

/** The settings of each profile by name, as the AWS adapters look them up. */
export type AwsTaskSettingsByProfile = ReadonlyMap<string, AwsTaskSettings>;

export function taskSettingsByProfile(profiles: readonly AwsProfile[]): AwsTaskSettingsByProfile {
  return new Map(profiles.map((profile) => [profile.name, profile.aws]));
}
