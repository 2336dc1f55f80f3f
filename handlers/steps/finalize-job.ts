import { awsJobStore, awsLogReader, awsLogger, awsProfileMap, awsTaskRunner } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { createSteps, type Steps } from '#lib/workflow/steps.ts';

const steps = createSteps(wire({ store: awsJobStore, taskRunner: awsTaskRunner, logReader: awsLogReader, profiles: awsProfileMap, logger: awsLogger }));

export const handler = (input: Parameters<Steps['finalizeJob']>[0]): ReturnType<Steps['finalizeJob']> => steps.finalizeJob(input);
