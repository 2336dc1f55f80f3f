/**
 * A profile as clients see it (GET /profiles): what a job of it may ask for, so that a form can
 * offer only that. Built field by field, never spread: where and how its tasks run on AWS (cluster,
 * subnets, task definition, roles), its webhook (whose URL may hold a credential) and the commands
 * it runs on its own behalf stay on the server.
 */
import type { Capacity } from '#lib/domain/capacity.ts';
import type { CommandRule, Profile } from '#lib/domain/profile.ts';
import { secretPatternsOf } from '#lib/domain/secrets.ts';

export interface ProfileDocument {
  name: string;
  description: string;
  /** `any`, or the rules one of which a command must match: an argv prefix, or one anchored pattern per argument. */
  commands: 'any' | CommandRule[];
  /** Whether a command may be a string, run by `/bin/sh -c`. */
  shell: boolean;
  /** The environment variables a job may set; `any` for no restriction. */
  envNames: 'any' | string[];
  /** Names whose values are kept as `***` (case-insensitive, `*` matches anything). */
  secretEnvPatterns: string[];
  timeoutSeconds: { default: number; max: number };
  publicIp: Profile['publicIp'];
  /** The default task size and the largest a job may ask for; absent where any Fargate size goes. */
  taskSize?: { cpu: number; memory: number; maxCpu?: number; maxMemory?: number };
  /** Whether one may exec into its running jobs (POST /jobs/{id}/exec) and submit held jobs. */
  exec: boolean;
  /** Where its tasks run on AWS (on-demand, spot, spot-first); absent for local processes. */
  capacity?: Capacity;
  /** Seconds from SIGTERM to SIGKILL when its task is stopped (Spot's warning too). */
  stopTimeout?: number;
  /** Jobs one connects to with ssh: on this port, as this user (a job takes an `sshPublicKey`). */
  interactive?: { port: number; user: string };
}

export function profileDocument(profile: Profile): ProfileDocument {
  const { taskSize, interactive } = profile;
  return {
    name: profile.name,
    description: profile.description,
    commands: profile.commands === 'any' ? 'any' : profile.commands.map(commandRule),
    shell: profile.shell,
    envNames: profile.envNames === 'any' ? 'any' : [...profile.envNames],
    secretEnvPatterns: [...secretPatternsOf(profile)],
    timeoutSeconds: { default: profile.timeoutSeconds.default, max: profile.timeoutSeconds.max },
    publicIp: profile.publicIp,
    ...(taskSize
      ? {
          taskSize: {
            cpu: taskSize.cpu,
            memory: taskSize.memory,
            ...(taskSize.maxCpu === undefined ? {} : { maxCpu: taskSize.maxCpu }),
            ...(taskSize.maxMemory === undefined ? {} : { maxMemory: taskSize.maxMemory }),
          },
        }
      : {}),
    exec: profile.exec === true,
    ...(profile.capacity ? { capacity: profile.capacity } : {}),
    ...(profile.stopTimeout === undefined ? {} : { stopTimeout: profile.stopTimeout }),
    ...(interactive ? { interactive: { port: interactive.port, user: interactive.user } } : {}),
  };
}

function commandRule(rule: CommandRule): CommandRule {
  return 'prefix' in rule ? { prefix: [...rule.prefix] } : { patterns: [...rule.patterns] };
}
