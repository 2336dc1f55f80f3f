/**
 * The README is the front door and the rest of the documentation lives in docs/, by reader: the
 * README stays short, links to every guide, and no relative link in README.md or docs/*.md points at
 * a file or a heading that is not there (GitHub's heading anchors).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README_MAX_LINES = 300;
const GUIDES = ['deploy.md', 'cli.md', 'slack-and-webhooks.md', 'security.md', 'architecture.md', 'troubleshooting.md'];

const markdownFiles = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** The text outside fenced code blocks, line by line (a `# comment` in a sh block is no heading). */
function proseLines(text: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const opening = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (fence === undefined && opening) fence = opening[0];
    else if (fence !== undefined && opening?.[0] === fence) fence = undefined;
    else if (fence === undefined) lines.push(line);
  }
  return lines;
}

/** GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`. */
export function slug(heading: string): string {
  const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** Every anchor a file's headings make, with `-1`, `-2` for repeated ones as GitHub numbers them. */
function anchors(path: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of proseLines(read(path))) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** The targets of a file's markdown links that are not URLs, outside code. */
function relativeLinks(path: string): string[] {
  const prose = proseLines(read(path)).join('\n').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('the README', () => {
  it(`is the front door: at most ${README_MAX_LINES} lines`, () => {
    // Act
    const lines = read('README.md').trimEnd().split('\n').length;

    // Assess
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move the detail into docs/`);
  });

  it('links to each guide in docs/', () => {
    // Act
    const links = new Set(relativeLinks('README.md').map((target) => target.split('#')[0]));

    // Assess
    for (const guide of GUIDES) {
      assert.ok(existsSync(join(ROOT, 'docs', guide)), `docs/${guide} exists`);
      assert.ok(links.has(`docs/${guide}`), `README.md links to docs/${guide}`);
    }
  });
});

describe('links in README.md and docs/*.md', () => {
  for (const path of markdownFiles) {
    it(`${path}: every relative link reaches a file, and a heading when it names one`, () => {
      // Prepare
      const broken: string[] = [];

      // Act
      for (const target of relativeLinks(path)) {
        const [file, anchor] = target.split('#') as [string, string | undefined];
        const linked = file === '' ? path : relative(ROOT, join(ROOT, dirname(path), decodeURIComponent(file)));
        if (!existsSync(join(ROOT, linked))) broken.push(`${target}: no file ${linked}`);
        else if (anchor !== undefined && linked.endsWith('.md') && !anchors(linked).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${linked}`);
      }

      // Assess
      assert.deepEqual(broken, []);
    });
  }
});

describe('slug', () => {
  it('makes the anchors GitHub makes', () => {
    assert.equal(slug('Local mode on ECS (`FARGATE_JOBS_RUNNER=ecs`)'), 'local-mode-on-ecs-fargate_jobs_runnerecs');
    assert.equal(slug('Task roles: what a job may do on AWS'), 'task-roles-what-a-job-may-do-on-aws');
    assert.equal(slug("Local mode's files"), 'local-modes-files');
    assert.equal(slug('Submitting a job (`POST /jobs`)'), 'submitting-a-job-post-jobs');
  });
});
