import { awsJobStore, awsLogger, awsTaskRunner } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { createSteps, type Steps } from '#lib/workflow/steps.ts';

const steps = createSteps(wire({ store: awsJobStore, taskRunner: awsTaskRunner, logger: awsLogger }));

export const handler = (input: Parameters<Steps['markFailed']>[0]): ReturnType<Steps['markFailed']> => steps.markFailed(input);
