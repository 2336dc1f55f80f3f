/**
 * `fargate-jobs token create|list|revoke`: `npm run token`'s command. Loaded only for this verb:
 * it brings the AWS SDK (for --stage), which the other verbs must not pay for at start-up.
 */
import type { VerbContext } from './context.ts';

export async function token(context: VerbContext, args: string[]): Promise<number> {
  const { runTokenCommand } = await import('../token.ts');
  return runTokenCommand(args, {
    stdout: (text) => context.out.stdout.write(text),
    stderr: (text) => context.out.stderr.write(text),
    env: context.env,
  });
}
