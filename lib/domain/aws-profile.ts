/**
 * What a profile means on AWS: where and how its task runs. Server-side only, plain data: the shipped
 * profiles (config/profiles.ts) are built from a stage's settings, and the ECS and CloudWatch Logs
 * adapters look each profile's settings up by name.
 */
import { firstCapacity, type Capacity, type CapacityProvider } from './capacity.ts';
import type { Profile } from './profile.ts';

export type { CapacityProvider } from './capacity.ts';

export interface AwsTaskSettings {
  /** Cluster name or ARN. */
  cluster: string;
  /** Task definition family (its latest ACTIVE revision runs) or `family:revision`. */
  taskDefinition: string;
  /** The watched container: it gets the command override, and its exit code is the job's. */
  container: string;
  subnets: string[];
  securityGroups: string[];
  /**
   * The provider a task starts on when the request names none: the profile's first capacity
   * (capacity.ts), set from its `capacity` by taskSettingsByProfile; FARGATE when absent.
   */
  capacityProvider?: CapacityProvider;
  /** awslogs settings of the watched container: its stream is `<prefix>/<container>/<task id>`. */
  logGroup: string;
  logStreamPrefix: string;
  /** Start tasks with ECS Exec (RunTask `enableExecuteCommand`): set from the profile's `exec` (taskSettingsByProfile). */
  enableExecuteCommand?: boolean;
}

export interface AwsProfile extends Profile {
  aws: AwsTaskSettings;
}

/** The family of a task definition named by its family, `family:revision` or its ARN (`arn:aws:ecs:…:task-definition/family:revision`). */
export function taskDefinitionFamilyOf(taskDefinition: string): string {
  return (taskDefinition.split('/').at(-1) ?? taskDefinition).split(':')[0] ?? taskDefinition;
}

/** The task definition family a profile's tasks run, for a profile that runs on ECS; undefined for another (local mode's). */
export function profileTaskFamily(profile: Profile | undefined): string | undefined {
  const settings = (profile as Partial<AwsProfile> | undefined)?.aws;
  return settings ? taskDefinitionFamilyOf(settings.taskDefinition) : undefined;
}

/** The settings of each profile by name, as the AWS adapters look them up. */
export type AwsTaskSettingsByProfile = ReadonlyMap<string, AwsTaskSettings>;

export function taskSettingsByProfile(profiles: readonly AwsProfile[]): AwsTaskSettingsByProfile {
  return new Map(
    profiles.map((profile) => {
      const capacityProvider = firstCapacity(profile);
      return [profile.name, { ...profile.aws, enableExecuteCommand: profile.exec === true, ...(capacityProvider ? { capacityProvider } : {}) }];
    }),
  );
}

/** The settings of a stage the AWS profiles are built from (lib/config.ts reads them). */
export interface AwsStageSettings {
  cluster: string;
  subnets: string[];
  securityGroups: string[];
  logGroup: string;
  /** Task definition families are `<prefix>-<profile>`. */
  taskDefinitionPrefix: string;
  /** The capacity of the profiles that follow the stage's (TASK_CAPACITY); on-demand when absent. */
  capacity?: Capacity;
}
