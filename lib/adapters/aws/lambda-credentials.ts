/**
 * Lambda bundles only: stands in for `@aws-sdk/credential-provider-node` (the esbuild alias in
 * serverless.yml). Lambda hands each function its role's credentials in the environment, so the
 * SSO, INI, process, IMDS and web-identity providers, and the STS/SSO clients they bring (~100 KB
 * per bundle), never run there. Local mode and the tests use the SDK's own default chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
