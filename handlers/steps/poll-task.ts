import { awsJobStore, awsLogger, awsProfileMap, awsTaskRunnerWithNetwork } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { createSteps, type Steps } from '#lib/workflow/steps.ts';

const steps = createSteps(wire({ store: awsJobStore, taskRunner: awsTaskRunnerWithNetwork, profiles: awsProfileMap, logger: awsLogger }));

export const handler = (input: Parameters<Steps['pollTask']>[0]): ReturnType<Steps['pollTask']> => steps.pollTask(input);
