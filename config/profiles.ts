/**
 * The shipped profiles. Each is server-side configuration: clients pick one by name and nothing else.
 * Restrictive profiles list their commands; `default` in local mode runs any argv because it is the
 * user's own machine, behind the user's own token.
 */
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
  },
];
