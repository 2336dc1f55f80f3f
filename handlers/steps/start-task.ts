import { awsJobStore, awsLogger, awsProfileMap, awsTaskRunner } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { createSteps, type Steps } from '#lib/workflow/steps.ts';

const steps = createSteps(wire({ store: awsJobStore, taskRunner: awsTaskRunner, profiles: awsProfileMap, logger: awsLogger }));

export const handler = (input: Parameters<Steps['startTask']>[0]): ReturnType<Steps['startTask']> => steps.startTask(input);
