/**
 * A real browser for the console's tests: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core, launched with exactly the flags below and a fresh user-data-dir, nothing of
 * Playwright's own defaults (`--remote-debugging-pipe` is how Playwright talks to it). Each page
 * records what a test of the console must fail on, and `assertClean()` fails with all of it:
 *
 * - every Content-Security-Policy violation: a `securitypolicyviolation` listener in every document
 *   (an init script, which the page's CSP does not govern), and console errors that mention the policy;
 * - every uncaught error of the page's scripts (`pageerror`);
 * - every request to an origin other than the server's, which is blocked as well as recorded.
 *
 * Missing Chromium fails the test that launches it, naming the package: the browser tests never skip.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** The flags of the issue, and no others but the user-data-dir and Playwright's pipe. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Where screenshots go (ignored by git). */
export const TEST_RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));

/** The binding the init script reports violations through (a name no page of ours uses). */
const VIOLATION_BINDING = '__fargateJobsTestCspViolation';
const VIOLATION_LISTENER = `document.addEventListener('securitypolicyviolation', (event) => {
  window.${VIOLATION_BINDING}({ directive: event.effectiveDirective, blocked: event.blockedURI, source: event.sourceFile, line: event.lineNumber, sample: event.sample });
}, true);`;

export interface WatchedPage {
  page: Page;
  /** What has gone wrong so far, one line each. */
  problems(): readonly string[];
  /** Lets the page's pending events arrive, then fails listing every problem recorded so far. */
  assertClean(): Promise<void>;
}

export interface BrowserUnderTest {
  /** A page in a context of its own; requests to any origin but `origin` are blocked and recorded. */
  newPage(origin: string): Promise<WatchedPage>;
  close(): Promise<void>;
}

/** `executablePath` only for the test of the message a missing Chromium gives. */
export async function launchBrowser(options: { executablePath?: string } = {}): Promise<BrowserUnderTest> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    assert.fail(`the browser tests need Chromium at ${executablePath}: install Debian's package (apt-get install chromium; .ci/run does when it is missing). They are never skipped.`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-chromium-'));
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath,
      ignoreDefaultArgs: true,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`, '--remote-debugging-pipe'],
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const contexts: BrowserContext[] = [];
  return {
    async newPage(origin) {
      const context = await browser.newContext();
      contexts.push(context);
      return watchedPage(context, new URL(origin).origin);
    },
    async close() {
      await Promise.all(contexts.map((context) => context.close().catch(() => {})));
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

async function watchedPage(context: BrowserContext, origin: string): Promise<WatchedPage> {
  const problems: string[] = [];
  await context.exposeBinding(VIOLATION_BINDING, ({ page }, violation: Record<string, unknown>) => {
    problems.push(`CSP violation on ${withoutFragment(page.url())}: ${JSON.stringify(violation)}`);
  });
  await context.addInitScript({ content: VIOLATION_LISTENER });
  await context.route(
    () => true,
    async (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      problems.push(`request to another origin than ${origin}: ${route.request().method()} ${url} (blocked)`);
      return route.abort('blockedbyclient');
    },
  );
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error on ${withoutFragment(page.url())}: ${error.stack ?? error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(message.text())) problems.push(`console error about the CSP on ${withoutFragment(page.url())}: ${message.text()}`);
  });
  return {
    page,
    problems: () => [...problems],
    async assertClean() {
      // Violation events are queued as tasks, and their reports travel back as binding calls: a
      // moment in the page, then a round trip, and everything that happened before has arrived.
      if (!page.isClosed()) {
        await page.evaluate('new Promise((resolve) => setTimeout(resolve, 100))');
        await page.evaluate('0');
      }
      assert.deepEqual(problems, [], `the page had problems:\n${problems.join('\n')}`);
    },
  };
}

/** A page's URL for a message: a login URL's fragment holds a token. */
function withoutFragment(url: string): string {
  return url.replace(/#.*$/, '');
}

/** Writes test-results/<name>.png (the whole page) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(TEST_RESULTS_DIR, { recursive: true });
  const path = join(TEST_RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The login URL `npm start` prints on its `Console:` line. */
export function printedLoginUrl(output: string): string {
  const url = /^\s*Console:\s+(http:\/\/\S+)\s*$/m.exec(output)?.[1];
  assert.ok(url, `the server printed no Console: line:\n${output}`);
  return url;
}
