/**
 * `fargate-jobs`: run a command as a job of the fargate-jobs API as if it ran here. Parses the
 * global flags and the verb, then hands over to the verb (cli/verbs/). Talks to the API with fetch
 * only; `token` alone loads more (the AWS SDK), on demand.
 */
import { readFileSync } from 'node:fs';
import { groupVerbs, parseCommandLine, UsageError, type VerbSpec } from './args.ts';
import { ApiClient, ApiError, NetworkError, UnexpectedAnswerError } from './api-client.ts';
import { brokenPipe } from './broken-pipe.ts';
import { ConfigurationError, resolveTarget, type ResolvedTarget } from './config.ts';
import { EXIT, ExitError, exitCodeOfRefusal } from './exit-codes.ts';
import { UntrustedServerError } from './local-server-trust.ts';
import { sanitizeMetadata } from './sanitize.ts';
import type { Output } from './terminal.ts';
import type { Verb, VerbContext } from './verbs/context.ts';
import { cancel, cancelSpec, list, listSpec, logs, logsSpec, status, statusSpec, wait, waitSpec } from './verbs/jobs.ts';
import { costs, costsSpec } from './verbs/costs.ts';
import { exec, execSpec } from './verbs/exec.ts';
import { login, loginSpec } from './verbs/login.ts';
import { run, runSpec } from './verbs/run.ts';
import {
  scheduleCreate,
  scheduleCreateSpec,
  scheduleDelete,
  scheduleDeleteSpec,
  scheduleList,
  scheduleListSpec,
  schedulePause,
  schedulePauseSpec,
  scheduleResume,
  scheduleResumeSpec,
  scheduleShow,
  scheduleShowSpec,
} from './verbs/schedule.ts';
import { ssh, sshSpec } from './verbs/ssh.ts';
import { token } from './verbs/token.ts';

const VERBS: Record<string, { spec: VerbSpec; verb: Verb }> = {
  run: { spec: runSpec, verb: run },
  wait: { spec: waitSpec, verb: wait },
  status: { spec: statusSpec, verb: status },
  logs: { spec: logsSpec, verb: logs },
  list: { spec: listSpec, verb: list },
  cancel: { spec: cancelSpec, verb: cancel },
  costs: { spec: costsSpec, verb: costs },
  ssh: { spec: sshSpec, verb: ssh },
  exec: { spec: execSpec, verb: exec },
  login: { spec: loginSpec, verb: login },
  'schedule create': { spec: scheduleCreateSpec, verb: scheduleCreate },
  'schedule list': { spec: scheduleListSpec, verb: scheduleList },
  'schedule show': { spec: scheduleShowSpec, verb: scheduleShow },
  'schedule pause': { spec: schedulePauseSpec, verb: schedulePause },
  'schedule resume': { spec: scheduleResumeSpec, verb: scheduleResume },
  'schedule delete': { spec: scheduleDeleteSpec, verb: scheduleDelete },
};
const SPECS = Object.fromEntries(Object.entries(VERBS).map(([name, { spec }]) => [name, spec]));

const GLOBAL_HELP = `global flags (before or after the verb):
  --url <url>        the API (or FARGATE_JOBS_URL); default: the local server of FARGATE_JOBS_DATA_DIR (.data),
                     with its own token, once it proves it is that directory's server
  --token <token>    the API's bearer token (or FARGATE_JOBS_TOKEN), only with --url (or FARGATE_JOBS_URL);
                     other users can see it in ps: prefer FARGATE_JOBS_TOKEN, or login --token-stdin
  --context <name>   a context saved with login (or FARGATE_JOBS_CONTEXT)
  --json             one JSON document for scripts (NDJSON lines for logs)
  --help (-h), --version (-v)`;

const PROGRAM_HELP = `usage: fargate-jobs <verb> [flags]
Runs commands as fargate-jobs jobs and follows them: output, progress and exit code as if they ran here.

verbs:
${Object.entries(VERBS)
  .filter(([name]) => !name.includes(' '))
  .map(([, { spec }]) => `  ${spec.usage}`)
  .join('\n')}
  schedule create|list|show|pause|resume|delete …   jobs run on a schedule (schedule --help)
  token create|list|revoke …   manage bearer tokens (as npm run token; token --help)

${GLOBAL_HELP}

exit codes: the job's own (exec, run -i: the session's); 124 timed out (exec, run -i: gave up at --wait);
125 never started or refused by the API; 127 command not found (exec, run -i: session-manager-plugin not installed);
130 interrupted (Ctrl-C); 141 its output closed (| head); 1 network or credential error; 2 usage error.
fargate-jobs <verb> --help for a verb's flags.`;

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function usageOf(verb: string | undefined): string {
  const spec = verb === undefined ? undefined : SPECS[verb];
  if (spec) return `usage: fargate-jobs ${spec.usage}`;
  const group = verb === undefined ? [] : groupVerbs(SPECS, verb);
  if (group.length > 0) return `usage: fargate-jobs ${verb} ${group.join('|')} … (fargate-jobs ${verb} --help)`;
  return 'usage: fargate-jobs <verb> [flags] (fargate-jobs --help lists the verbs)';
}

/** A group's help (`schedule --help`): each of its verbs' usage, and where each one's flags are. */
function groupHelp(name: string): string {
  const usages = groupVerbs(SPECS, name).map((verb) => `  fargate-jobs ${SPECS[`${name} ${verb}`]!.usage}`);
  return `usage:\n${usages.join('\n')}\nfargate-jobs ${name} <verb> --help for a verb's flags.`;
}

export async function main(argv: readonly string[], out: Output, env: NodeJS.ProcessEnv): Promise<number> {
  let target: ResolvedTarget | undefined;
  try {
    const command = parseCommandLine(argv, SPECS);
    if (command.globals.version || (command.verb === 'token' && (command.passThrough?.includes('--version') || command.passThrough?.includes('-v')))) {
      out.stdout.write(`${version()}\n`);
      return EXIT.OK;
    }
    if (command.verb === 'token') return await token(contextOf(command, out, env), command.passThrough ?? []);
    if (command.globals.help || command.verb === undefined) {
      const spec = command.verb === undefined ? undefined : SPECS[command.verb];
      const group = command.verb !== undefined && !spec && groupVerbs(SPECS, command.verb).length > 0;
      const help = spec ? `usage: fargate-jobs ${spec.usage}\n${spec.help}\n\n${GLOBAL_HELP}` : group ? `${groupHelp(command.verb!)}\n\n${GLOBAL_HELP}` : PROGRAM_HELP;
      if (command.verb === undefined && !command.globals.help) {
        out.stderr.write(`fargate-jobs: no verb given\n${usageOf(undefined)}\n`);
        return EXIT.USAGE;
      }
      out.stdout.write(`${help}\n`);
      return EXIT.OK;
    }
    const context = contextOf(command, out, env, (resolved) => (target = resolved));
    return await VERBS[command.verb]!.verb(context);
  } catch (error) {
    return reportError(error, out, target);
  }
}

function contextOf(command: VerbContext['command'], out: Output, env: NodeJS.ProcessEnv, onTarget?: (target: ResolvedTarget) => void): VerbContext {
  let client: ApiClient | undefined;
  return {
    command,
    out,
    env,
    client() {
      if (!client) {
        const target = resolveTarget(command.globals, env);
        onTarget?.(target);
        client = new ApiClient(target);
      }
      return client;
    },
  };
}

function reportError(error: unknown, out: Output, target: ResolvedTarget | undefined): number {
  if (error instanceof UsageError) {
    out.stderr.write(`fargate-jobs: ${error.message}\n${usageOf(error.verb)}\n`);
    return EXIT.USAGE;
  }
  if (error instanceof ExitError) {
    out.stderr.write(`fargate-jobs: ${sanitizeMetadata(error.message)}\n`);
    return error.exitCode;
  }
  if (error instanceof ConfigurationError || error instanceof UntrustedServerError || error instanceof UnexpectedAnswerError) {
    out.stderr.write(`fargate-jobs: ${error.message}\n`);
    return EXIT.API_UNREACHABLE_OR_REFUSED_CALLER;
  }
  if (error instanceof NetworkError) {
    // A data directory keeps the url file of a server that died without removing it.
    const message = target?.local === true ? `${error.message}; ${target.description} is not running: start it with npm start, or pass --url and --token` : error.message;
    out.stderr.write(`fargate-jobs: ${sanitizeMetadata(message)}\n`);
    return EXIT.API_UNREACHABLE_OR_REFUSED_CALLER;
  }
  if (error instanceof ApiError) {
    // The message is the server's (or whatever answered at its URL): text to read, never sequences to obey.
    out.stderr.write(`fargate-jobs: ${sanitizeMetadata(describeApiError(error, target))}\n`);
    return exitCodeOfRefusal(error.status);
  }
  out.stderr.write(`fargate-jobs: ${(error as Error).stack ?? String(error)}\n`);
  return EXIT.API_UNREACHABLE_OR_REFUSED_CALLER;
}

function describeApiError(error: ApiError, target: ResolvedTarget | undefined): string {
  const where = target?.url ?? error.url;
  if (error.status === 401) {
    const given = target?.token === undefined || target.token === '';
    const what = given ? 'no token was given: pass --token, set FARGATE_JOBS_TOKEN or log in with a context' : error.message;
    return `${where} refused the request (401): ${what}`;
  }
  if (error.status === 403) return `${where} refused the request (403): ${error.message}`;
  if (error.code === 'HTTP_500') {
    // API Gateway's own answer when Lambda throttles under a burst (or a function failed): not the API's error shape.
    return `${where} kept answering a bare 500 (${error.message}), even after retries: on AWS that is usually Lambda throttled by a burst of requests; try again in a minute`;
  }
  return `${error.message} (${error.status} ${error.code})`;
}

/**
 * Runs the CLI as this process and exits with its code once stdout and stderr have been written out:
 * without waiting for whatever requests are still in flight (a long poll the answer made moot).
 * A closed stdout or stderr ends it sooner, as SIGPIPE ends a local program (cli/broken-pipe.ts).
 */
export async function runAsProcess(): Promise<never> {
  brokenPipe.watch([process.stdout, process.stderr], (code) => process.exit(code));
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, process.env);
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  process.exit(code);
}

if (import.meta.main) await runAsProcess();
