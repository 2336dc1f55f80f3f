/**
 * Entity tags (RFC 9110 §8.8.3) of a versioned answer, and the `If-None-Match` a client sends back:
 * a list of tags, or `*`. Compared weakly, as RFC 9110 §13.1.2 says for If-None-Match: `W/"x"`
 * matches `"x"`.
 */

/** The strong entity tag of a version (a version is base64url: nothing to escape). */
export function entityTag(version: string): string {
  return `"${version}"`;
}

/**
 * Whether an `If-None-Match` value names `version`: it lists its tag (weak or strong), or is `*`.
 * A malformed value names nothing.
 */
export function namesVersion(ifNoneMatch: string, version: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === entityTag(version));
}
