/**
 * Who may run what from Slack: `SLACK_ACCESS`, a JSON array of rules. A rule applies to a request
 * when every one of `team`, `channel`, `user` it gives equals the request's (a field left out
 * matches anything, so `{"profiles":["echo"]}` lets everyone run `echo`); a request may use the
 * profiles of every rule that applies. A rule with `"admin": true` makes the request an admin of
 * that rule's profiles only. No rule, no profile: access is denied by default.
 *
 * Which jobs a request sees is decided here too (`canSee`), so that every verb and button asks the
 * same question before any other; what an admin may do beyond that (cancel other people's jobs…)
 * is the caller's decision.
 */
import { EVERY_PROFILE } from '#lib/domain/caller.ts';
import { ConfigError } from '#lib/domain/errors.ts';
import type { Job } from '#lib/domain/job.ts';
import { escapeSlackText } from './messages.ts';

export interface SlackAccessRule {
  /** Workspace id (`T…`, or `E…` for an Enterprise Grid organisation). */
  team?: string;
  /** Channel id (`C…`, `G…`, `D…`), never its name: names change and can be reused. */
  channel?: string;
  /** User id (`U…`, `W…`). */
  user?: string;
  /** Profile names; `*` for every profile. */
  profiles: string[];
  admin?: boolean;
}

/** Where a request comes from, from the signed payload. */
export interface SlackRequester {
  team: string;
  channel: string;
  user: string;
}

export interface SlackPermissions {
  profiles: Set<string> | typeof EVERY_PROFILE;
}

/** `SLACK_ACCESS` that cannot be read: the message names the rule (counting from 1) and what is wrong. */
export class SlackAccessConfigError extends ConfigError {
  constructor(message: string, options?: ErrorOptions) {
    super(message);
    this.name = 'SlackAccessConfigError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

const SCOPE_FIELDS = ['team', 'channel', 'user'] as const;
const RULE_FIELDS: readonly string[] = [...SCOPE_FIELDS, 'profiles', 'admin'];
/** Slack ids are upper-case letters and digits; a `#channel` or `@name` here would silently never match. */
const SLACK_ID = /^[A-Z][A-Z0-9]+$/;

/** Reads `SLACK_ACCESS`. Unset or blank: no rules, so nobody may run anything from Slack. */
export function parseSlackAccess(json: string | undefined): SlackAccessRule[] {
  if (json === undefined || json.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new SlackAccessConfigError(`SLACK_ACCESS is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!Array.isArray(parsed)) {
    throw new SlackAccessConfigError(`SLACK_ACCESS must be a JSON array of rules such as [{"team":"T0123","profiles":["default"]}], not ${describeJson(parsed)}`);
  }
  return parsed.map((rule: unknown, index) => parseRule(rule, index + 1));
}

function parseRule(rule: unknown, position: number): SlackAccessRule {
  const fail = (problem: string) => new SlackAccessConfigError(`SLACK_ACCESS rule ${position} (${shortJson(rule)}) ${problem}`);
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw fail('is not an object');
  const fields = rule as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !RULE_FIELDS.includes(key));
  if (unknown !== undefined) throw fail(`has an unknown field "${unknown}" (a rule has ${RULE_FIELDS.map((field) => `"${field}"`).join(', ')})`);
  const parsed: SlackAccessRule = { profiles: parseProfiles(fields.profiles, fail) };
  for (const field of SCOPE_FIELDS) {
    const value = fields[field];
    if (value === undefined) continue;
    if (value === '*') throw fail(`has "${field}": "*"; leave "${field}" out to match any ${field}`);
    if (typeof value !== 'string' || !SLACK_ID.test(value)) throw fail(`has a "${field}" that is not a Slack id (such as ${EXAMPLE_IDS[field]})`);
    parsed[field] = value;
  }
  if (fields.admin !== undefined) {
    if (typeof fields.admin !== 'boolean') throw fail('has an "admin" that is not true or false');
    parsed.admin = fields.admin;
  }
  return parsed;
}

const EXAMPLE_IDS: Record<(typeof SCOPE_FIELDS)[number], string> = { team: 'T0123ABCD', channel: 'C0123ABCD', user: 'U0123ABCD' };

function parseProfiles(profiles: unknown, fail: (problem: string) => SlackAccessConfigError): string[] {
  if (profiles === undefined) throw fail('has no "profiles" list');
  if (!Array.isArray(profiles)) throw fail('has a "profiles" that is not a list of profile names');
  if (profiles.length === 0) throw fail('has an empty "profiles" list (to allow nothing, leave the rule out)');
  if (!profiles.every((name) => typeof name === 'string' && name.trim() !== '')) throw fail('has a "profiles" entry that is not a non-empty string');
  return [...profiles];
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Whether a rule applies to a request: every scope field it gives is the request's. */
function applies(rule: SlackAccessRule, who: SlackRequester): boolean {
  return SCOPE_FIELDS.every((field) => rule[field] === undefined || rule[field] === who[field]);
}

/** What a request may run: the union of the profiles of every rule that applies. */
export function allowedProfiles(rules: readonly SlackAccessRule[], who: SlackRequester): SlackPermissions {
  const names = rules.filter((rule) => applies(rule, who)).flatMap((rule) => rule.profiles);
  return { profiles: names.includes(EVERY_PROFILE) ? EVERY_PROFILE : new Set(names) };
}

export function mayRunProfile(rules: readonly SlackAccessRule[], who: SlackRequester, profile: string): boolean {
  return rules.some((rule) => applies(rule, who) && names(rule, profile));
}

/** Whether an admin rule that applies to the request names `profile` (or `*`): an admin of one profile is none of another. */
export function isAdminOf(rules: readonly SlackAccessRule[], who: SlackRequester, profile: string): boolean {
  return rules.some((rule) => rule.admin === true && applies(rule, who) && names(rule, profile));
}

function names(rule: SlackAccessRule, profile: string): boolean {
  return rule.profiles.includes(EVERY_PROFILE) || rule.profiles.includes(profile);
}

/**
 * Whether a Slack request may know of a job at all: its profile is one the request may use where it
 * was made, and the job came from Slack or the request is an admin of its profile (a job submitted
 * with an API token is the business of that profile's admins, not of everyone who may run it).
 * A job it may not see is answered exactly as a job that does not exist.
 */
export function canSee(rules: readonly SlackAccessRule[], who: SlackRequester, job: Pick<Job, 'profile' | 'slack'>): boolean {
  if (!mayRunProfile(rules, who, job.profile)) return false;
  return job.slack !== undefined || isAdminOf(rules, who, job.profile);
}

/**
 * The answer to a request for a profile it may not use (Slack mrkdwn, escaped): which profiles it
 * may use instead, and whom to ask. Admins are named when rules name them by user in this workspace;
 * the ids of the request are given so that whoever adds the rule knows what to write.
 */
export function refusalMessage(profile: string, who: SlackRequester, rules: readonly SlackAccessRule[]): string {
  const shownProfile = escapeSlackText(profile.length > 100 ? `${profile.slice(0, 99)}…` : profile);
  const { profiles } = allowedProfiles(rules, who);
  const allowed = profiles === EVERY_PROFILE ? [] : [...profiles].sort();
  const instead = allowed.length === 0 ? '' : ` Here you may run: ${allowed.map((name) => `\`${escapeSlackText(name)}\``).join(', ')}.`;
  const admins = workspaceAdmins(rules, who.team).filter((user) => user !== who.user);
  const ask = admins.length === 0 ? 'a fargate-jobs admin of this workspace' : `a fargate-jobs admin (${admins.map((user) => `<@${user}>`).join(', ')})`;
  const ids = `team ${escapeSlackText(who.team)}, channel ${escapeSlackText(who.channel)}, user ${escapeSlackText(who.user)}`;
  return `You may not run profile '${shownProfile}' here.${instead} To get access, ask ${ask} to add a SLACK_ACCESS rule for you (${ids}).`;
}

/** Users an admin rule names that hold for this workspace: the rule names no team, or this one. */
function workspaceAdmins(rules: readonly SlackAccessRule[], team: string): string[] {
  const users = rules
    .filter((rule) => rule.admin === true && rule.user !== undefined && (rule.team === undefined || rule.team === team))
    .map((rule) => rule.user ?? '');
  return [...new Set(users)];
}
