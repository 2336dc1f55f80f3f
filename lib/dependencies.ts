/**
 * The composition root: handlers ask `dependencies()` for the wired service and steps. Each entry
 * point installs one set of adapters once with `useDependencies()` — the local server its local set
 * (`local/local-dependencies.ts`) — and tests build their own through the same constructors. This
 * file imports no adapter, so a Lambda bundle contains only the adapters its wiring names.
 */
import type { JobService } from '#lib/domain/job-service.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { Steps } from '#lib/workflow/steps.ts';

export interface Dependencies {
  service: JobService;
  steps: Steps;
  logger: Logger;
}

let installed: Promise<Dependencies> | undefined;

/** The wired dependencies of this process. */
export function dependencies(): Promise<Dependencies> {
  installed ??= Promise.reject(
    new Error(
      'fargate-jobs has no adapters configured in this process: local mode installs them at start-up (npm start); ' +
        'the AWS adapters are not wired into the Lambda handlers yet',
    ),
  );
  return installed;
}

export function useDependencies(deps: Dependencies): void {
  installed = Promise.resolve(deps);
}
