import { dependencies } from '#lib/dependencies.ts';
import type { Steps } from '#lib/workflow/steps.ts';

export const handler = async (input: Parameters<Steps['finalizeJob']>[0]): ReturnType<Steps['finalizeJob']> =>
  (await dependencies()).steps.finalizeJob(input);
