/**
 * The shipped profiles. Each is server-side configuration: clients pick one by name and nothing else.
 * Restrictive profiles list their commands; `default` in local mode runs any argv because it is the
 * user's own machine, behind the user's own token. Local profiles set no task size: a job may ask
 * for any size Fargate offers (a child process is not held to it).
 */
import type { AwsProfile, AwsStageSettings } from '#lib/domain/aws-profile.ts';
import type { Profile } from '#lib/domain/profile.ts';

export const localProfiles: Profile[] = [
  {
    name: 'default',
    description: 'Runs any command on this machine as a child process.',
    commands: 'any',
    shell: true,
    envNames: 'any',
    timeoutSeconds: { default: 3600, max: 86_400 },
    publicIp: 'optional',
    // No terminal locally (the streams are pipes): `-i` gives the shell its prompt all the same.
    exec: true,
    execShell: ['/bin/sh', '-i'],
    interactiveHold: ['sleep', '86400'],
  },
  {
    name: 'echo',
    description: 'An example of a restrictive profile: runs echo (no shell), with one allowed variable, for a minute at most.',
    commands: [{ prefix: ['echo'] }],
    shell: false,
    envNames: ['GREETING'],
    timeoutSeconds: { default: 10, max: 60 },
    publicIp: 'never',
  },
];

/** Where the watched containers log; serverless.yml's task definitions use the same prefix. */
export const LOG_STREAM_PREFIX = 'jobs';

/**
 * The profiles a deployment serves. Their task definitions (`<prefix>-default`, `<prefix>-ssh`) are
 * created by serverless.yml; containers are named `job` and `sshd` there too.
 */
export function awsProfiles(stage: AwsStageSettings): AwsProfile[] {
  const network = { cluster: stage.cluster, subnets: stage.subnets, securityGroups: stage.securityGroups };
  // Both follow the stage's `capacity` parameter: one knob for what a stage spends and how sure its jobs are to run to the end.
  const capacity = stage.capacity ?? 'on-demand';
  const logs = { logGroup: stage.logGroup, logStreamPrefix: LOG_STREAM_PREFIX };
  return [
    {
      name: 'default',
      description: 'Runs a command in a small Linux container (Alpine) in the stage VPC.',
      commands: 'any',
      shell: true,
      envNames: 'any',
      timeoutSeconds: { default: 3600, max: 86_400 },
      publicIp: 'optional',
      // ECS Exec into its jobs (fargate-jobs exec, run -i): a held job sleeps until its timeout ends it.
      exec: true,
      execShell: ['/bin/sh'],
      interactiveHold: ['sleep', '86400'],
      // The default is the task definition's own size; larger jobs ask for up to 4 vCPU / 16 GiB.
      taskSize: { cpu: 256, memory: 512, maxCpu: 4096, maxMemory: 16_384 },
      capacity,
      // All of Spot's 2-minute warning (SIGTERM) to save work; a cancel or timeout waits as long for a
      // command that ignores SIGTERM. serverless.yml's container `job` says the same.
      stopTimeout: 120,
      aws: {
        ...network,
        ...logs,
        taskDefinition: `${stage.taskDefinitionPrefix}-default`,
        container: 'job',
      },
    },
    {
      name: 'ssh',
      description: 'A throw-away OpenSSH server with a public IP, reachable with your key while `sleep N` runs.',
      // The image's init starts sshd, then runs the command: the job lasts as long as the sleep.
      commands: [{ patterns: ['sleep', '[1-9][0-9]{0,4}'] }],
      shell: false,
      envNames: [],
      timeoutSeconds: { default: 3600, max: 43_200 },
      publicIp: 'always',
      interactive: { port: 2222, user: 'jobs', publicKeyEnv: 'PUBLIC_KEY' },
      // Its way in is ssh; ECS Exec would be a second door to keep.
      exec: false,
      // A shell to look around in needs little; the cap keeps a forgotten session cheap.
      taskSize: { cpu: 256, memory: 512, maxCpu: 1024, maxMemory: 2048 },
      capacity,
      // sshd has nothing to save: ECS's own 30 s, stated (serverless.yml's container `sshd` says the same).
      stopTimeout: 30,
      aws: {
        ...network,
        ...logs,
        taskDefinition: `${stage.taskDefinitionPrefix}-ssh`,
        container: 'sshd',
      },
    },
  ];
}

/** The names of the profiles a deployment serves (what a token's scope may name). */
export function awsProfileNames(): string[] {
  // The names do not depend on the stage's settings; placeholders stand in for them.
  const placeholders = { cluster: '-', subnets: ['-'], securityGroups: ['-'], logGroup: '-', taskDefinitionPrefix: '-' };
  return awsProfiles(placeholders).map((profile) => profile.name);
}
