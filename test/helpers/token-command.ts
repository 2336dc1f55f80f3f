/** `npm run token` as a user runs it, on a data directory of local mode. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run token -- <args>` on `dataDir`; resolves even when it exits non-zero. */
export async function tokenCommand(dataDir: string, args: string[]): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['cli/token.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, FARGATE_JOBS_DATA_DIR: dataDir },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as CommandResult;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
