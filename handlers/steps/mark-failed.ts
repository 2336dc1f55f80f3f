import { dependencies } from '#lib/dependencies.ts';
import type { Steps } from '#lib/workflow/steps.ts';

export const handler = async (input: Parameters<Steps['markFailed']>[0]): ReturnType<Steps['markFailed']> =>
  (await dependencies()).steps.markFailed(input);
