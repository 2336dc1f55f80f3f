/**
 * A job's labels as the tags of its ECS task, so that Cost Explorer can group the bill by them once
 * they are activated as cost-allocation tags (docs/deploy.md). ECS refuses a RunTask whose tags break
 * its rules, which would fail the job; so a label that would is left off, never sent.
 */

/** ECS's limits on a resource's tags: 50 in all, keys of 1–128 characters, values of at most 256. */
export const MAX_TASK_TAGS = 50;
const MAX_TAG_KEY_LENGTH = 128;
const MAX_TAG_VALUE_LENGTH = 256;
/** The characters a tag's key and value may hold: letters, numbers, spaces and `_ . : / = + - @`. */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export interface TaskTag {
  key: string;
  value: string;
}

/**
 * The tags a job's labels become beside `others` (the runner's own and those the task definition
 * passes on), which take their share of the 50 and whose keys a label cannot take: in key order, the
 * first that fit. Left off: keys that start with `aws:` (AWS's own), and keys or values ECS would refuse.
 */
export function labelTags(labels: Readonly<Record<string, string>>, others: readonly Pick<TaskTag, 'key'>[]): TaskTag[] {
  const taken = new Set(others.map((tag) => tag.key));
  return Object.entries(labels)
    .filter(([key, value]) => isTaggable(key, value) && !taken.has(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, Math.max(0, MAX_TASK_TAGS - others.length))
    .map(([key, value]) => ({ key, value }));
}

function isTaggable(key: string, value: string): boolean {
  if (key.length === 0 || key.length > MAX_TAG_KEY_LENGTH || value.length > MAX_TAG_VALUE_LENGTH) return false;
  if (key.toLowerCase().startsWith('aws:')) return false;
  return TAG_TEXT.test(key) && TAG_TEXT.test(value);
}
