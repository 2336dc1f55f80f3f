import { dependencies } from '#lib/dependencies.ts';
import type { Steps } from '#lib/workflow/steps.ts';

export const handler = async (input: Parameters<Steps['pollTask']>[0]): ReturnType<Steps['pollTask']> =>
  (await dependencies()).steps.pollTask(input);
