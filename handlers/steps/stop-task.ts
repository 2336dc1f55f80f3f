import { dependencies } from '#lib/dependencies.ts';
import type { Steps } from '#lib/workflow/steps.ts';

export const handler = async (input: Parameters<Steps['stopTask']>[0]): ReturnType<Steps['stopTask']> =>
  (await dependencies()).steps.stopTask(input);
