/**
 * What a `/run …` slash command asks for. The first word is a verb (`help`, `status`, `logs`,
 * `cancel`, `list`, `schedules`) or else a profile name, followed by the command to run with it.
 *
 * Verbs win: a profile named `status` (or `logs`, `cancel`, `list`, `schedules`, `help`) cannot be run from Slack,
 * since `/run status job-…` must keep meaning the same whatever profiles a deployment adds later.
 * Verbs are matched whatever their case, because phone keyboards capitalise the first word.
 */
import { isJobId } from '#lib/domain/ids.ts';
import { SlackCommandSyntaxError, splitShellWords, unformatSlackText } from './command-text.ts';
import { escapeSlackText } from './messages.ts';

export type SlashCommand =
  | { kind: 'help' }
  | { kind: 'status' | 'logs' | 'cancel'; jobId: string }
  | { kind: 'list' }
  | { kind: 'schedules' }
  | { kind: 'run'; profile: string; command: string[] };

type JobVerb = 'status' | 'logs' | 'cancel';
const JOB_VERBS: readonly string[] = ['status', 'logs', 'cancel'] satisfies JobVerb[];

/** The help text (Slack mrkdwn, `< >` already escaped). */
export const SLASH_COMMAND_HELP = [
  '*fargate-jobs* runs a command with one of the profiles you may use, and posts its result here.',
  '• `/run &lt;profile&gt; &lt;command…&gt;`: run a command, e.g. `/run default echo hello`',
  '• `/run status &lt;job id&gt;`: where a job is, e.g. `/run status job-01jz3k4m5n6p7q8r9s0t1v2w3x`',
  '• `/run logs &lt;job id&gt;`: the last lines of its log',
  '• `/run cancel &lt;job id&gt;`: stop it',
  '• `/run list`: the latest jobs',
  '• `/run schedules`: the schedules of the profiles you may use here, and what their last fire did',
  '• `/run help`: this text',
  "Words are split as a shell splits them: quote an argument with spaces, e.g. `/run default sh -c 'echo $HOME'`. " +
    'Nothing is expanded here: `$HOME`, `*` and `~` reach the command as typed, and only a profile that runs its commands through a shell expands them.',
  '`help`, `status`, `logs`, `cancel`, `list` and `schedules` are always verbs, never profile names.',
].join('\n');

/**
 * Reads a slash command's text (as Slack sent it). Throws SlackCommandSyntaxError whose message is
 * Slack mrkdwn, with what the user typed already escaped: post it as it is.
 */
export function parseSlashCommand(text: string): SlashCommand {
  const words = splitShellWords(unformatSlackText(text));
  const [first, ...rest] = words;
  if (first === undefined) return { kind: 'help' };
  const verb = first.toLowerCase();
  if (verb === 'help') return { kind: 'help' };
  if (verb === 'list' || verb === 'schedules') {
    if (rest.length > 0) throw new SlackCommandSyntaxError(`\`/run ${verb}\` takes no arguments; see \`/run help\``);
    return { kind: verb };
  }
  if (JOB_VERBS.includes(verb)) return { kind: verb as JobVerb, jobId: jobIdOf(verb, rest) };
  if (rest.length === 0) {
    const profile = shown(first);
    throw new SlackCommandSyntaxError(`\`/run ${profile}\` needs a command to run with profile '${profile}', e.g. \`/run ${profile} echo hello\`; see \`/run help\``);
  }
  return { kind: 'run', profile: first, command: rest };
}

function jobIdOf(verb: string, args: string[]): string {
  const [jobId, ...extra] = args;
  if (jobId === undefined) throw new SlackCommandSyntaxError(`\`/run ${verb}\` needs a job id, e.g. \`/run ${verb} job-01jz3k4m5n6p7q8r9s0t1v2w3x\`; see \`/run help\``);
  if (extra.length > 0) throw new SlackCommandSyntaxError(`\`/run ${verb}\` takes one job id; see \`/run help\``);
  // Checked here so that a typo is answered as one, not as "job does not exist".
  if (!isJobId(jobId)) throw new SlackCommandSyntaxError(`'${shown(jobId)}' is not a job id (they look like job-01jz3k4m5n6p7q8r9s0t1v2w3x); see \`/run help\``);
  return jobId;
}

/** A word the user typed, as an error message may quote it: escaped, short, and without backticks that would end the code. */
function shown(word: string): string {
  const short = word.length > 60 ? `${word.slice(0, 59)}…` : word;
  return escapeSlackText(short).replace(/`/g, "'");
}
