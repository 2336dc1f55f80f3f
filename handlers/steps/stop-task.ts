import { awsLogger, awsTaskRunner } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { createSteps, type Steps } from '#lib/workflow/steps.ts';

const steps = createSteps(wire({ taskRunner: awsTaskRunner, logger: awsLogger }));

export const handler = (input: Parameters<Steps['stopTask']>[0]): ReturnType<Steps['stopTask']> => steps.stopTask(input);
