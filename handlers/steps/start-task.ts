import { dependencies } from '#lib/dependencies.ts';
import type { Steps } from '#lib/workflow/steps.ts';

export const handler = async (input: Parameters<Steps['startTask']>[0]): ReturnType<Steps['startTask']> =>
  (await dependencies()).steps.startTask(input);
