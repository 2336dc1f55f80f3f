/**
 * The web console in headless Chromium, against the local server `npm start` runs: logging in
 * through the URL it prints, submitting from the form, following a log live to its end, cancelling
 * from the keyboard, rerunning, filtering the list, and log lines that try to be markup or terminal
 * commands. Every test ends with assertClean(): no CSP violation, page error, third-party request
 * or JavaScript dialog (an `alert` a log line got run would be one) happened.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { JobDocument } from '#lib/http/job-document.ts';
import { launchBrowser, printedLoginUrl, screenshot, type BrowserUnderTest, type WatchedPage } from '../helpers/browser.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

/** A browser and a server sharing two busy cores: each step waits generously, no test asserts how long anything took. */
const UI_TIMEOUT_MS = 20_000;
/** What `check-site` prints: colours, as a build's output has them. */
const CHECK_SITE = `#!/bin/sh
printf '\\033[1mChecking\\033[0m site for %s\\n' "$2"
printf '\\033[32m✓\\033[0m links: 412 checked\\n'
printf '\\033[32m✓\\033[0m certificates valid for 61 days\\n'
printf '\\033[33m!\\033[0m 2 pages slower than 800 ms\\n'
printf '\\033[32m✓\\033[0m done\\n'
`;
const TEST_TIMEOUT_MS = 90_000;
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the console in a browser', () => {
  let server: LocalServerProcess;
  let browser: BrowserUnderTest;
  let loginUrl: string;
  /** Holds `check-site`, a program on the server's PATH that prints what a build check would: the screenshots' job. */
  const programs = mkdtempSync(join(tmpdir(), 'console-programs-'));

  before(async () => {
    const checkSite = join(programs, 'check-site');
    writeFileSync(checkSite, CHECK_SITE, { mode: 0o755 });
    [server, browser] = await Promise.all([startServer({ env: { PATH: `${programs}:${process.env.PATH ?? ''}` } }), launchBrowser()]);
    loginUrl = printedLoginUrl(server.output());
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(programs, { recursive: true, force: true });
  });

  /** A watched page (1000×700, light unless asked) whose assertClean() also fails on any alert, confirm or prompt. */
  async function newPage(options: { width?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
    const watched = await browser.newPage(server.url);
    const dialogs: string[] = [];
    watched.page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await watched.page.setViewportSize({ width: options.width ?? 1000, height: 700 });
    await watched.page.emulateMedia({ colorScheme: options.colorScheme ?? 'light' });
    return {
      ...watched,
      async assertClean() {
        await watched.assertClean();
        assert.deepEqual(dialogs, [], 'the page opened JavaScript dialogs');
      },
    };
  }

  /** A page signed in through the printed URL, at the list. */
  async function signedIn(options: { width?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
    const watched = await newPage(options);
    await watched.page.goto(loginUrl);
    await watched.page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor({ timeout: UI_TIMEOUT_MS });
    return watched;
  }

  async function submitted(body: unknown): Promise<JobDocument> {
    const created = await server.request<JobDocument>('POST', '/jobs', { body });
    assert.equal(created.status, 202, created.text);
    return created.json;
  }

  async function finishedJob(body: unknown): Promise<JobDocument> {
    const job = await submitted(body);
    return server.waitForJob(job.id, (current) => current.stoppedAt !== undefined, { attempts: 400 });
  }

  const badge = (page: Page, label: string) => page.locator('.heading-badge .badge', { hasText: label });
  const logLine = (page: Page, text: string) => page.locator('#log .log-line', { hasText: text });

  it('signs in through the URL npm start prints, moving the token out of the address bar', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Act
    const { page, assertClean } = await signedIn();

    // Assess
    assert.doesNotMatch(page.url(), /token/);
    assert.equal(await page.evaluate("sessionStorage.getItem('fargate-jobs.token')"), server.token);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await assertClean();
    await page.close();
  });

  it('asks for a token when there is none, and again when the server refuses it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { page, assertClean } = await newPage();
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByLabel('API token').press('Enter');

    await page.getByRole('alert').filter({ hasText: /refused the token/ }).waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByLabel('API token').fill(server.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await assertClean();
    await page.close();
  });

  it('submits a job from the form and follows its log live, scrolling only a reader at the bottom, to its end', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare: the job waits at two gates, so that the test sees it mid-way whatever the machine's speed.
    const [gate1, gate2] = [join(server.dataDir, 'gate-1'), join(server.dataDir, 'gate-2')];
    const script = [
      'seq 1 80; echo ready',
      `while [ ! -e ${gate1} ]; do sleep 0.1; done`,
      'for i in 1 2 3 4 5; do echo line $i; sleep 0.5; done',
      `while [ ! -e ${gate2} ]; do sleep 0.1; done`,
      'echo last line',
    ].join('; ');
    const { page, assertClean } = await signedIn();
    await page.getByRole('link', { name: 'New job' }).first().click();

    // Act: argv, one argument a line.
    await page.getByLabel('Command', { exact: true }).fill(['sh', '-c', script].join('\n'));
    await page.getByRole('button', { name: 'Submit job' }).click();

    // Assess
    await page.waitForURL(/#\/jobs\/job-/, { timeout: UI_TIMEOUT_MS });
    await logLine(page, 'ready').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByText('Following the job’s output').waitFor();
    assert.ok(await atBottom(page), 'the log starts scrolled to its end');

    writeFileSync(gate1, '');
    await logLine(page, 'line 5').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.ok(await atBottom(page), 'a reader at the bottom is kept at the bottom');

    await page.evaluate("document.querySelector('#log').scrollTop = 0");
    writeFileSync(gate2, '');
    await logLine(page, 'last line').waitFor({ state: 'attached', timeout: UI_TIMEOUT_MS });
    await page.getByText('End of the log.').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.evaluate("document.querySelector('#log').scrollTop"), 0, 'a reader scrolled up is left where they are');
    await page.getByRole('button', { name: 'New lines below ↓' }).waitFor();
    await badge(page, 'Succeeded').waitFor({ timeout: UI_TIMEOUT_MS });
    // Finished: what it cost — nothing locally, beside what Fargate would have charged.
    await page.getByText(/^\$0\.00 \(on Fargate: \$0\.000\d+, an estimate\)$/).waitFor({ timeout: UI_TIMEOUT_MS });
    await assertClean();
    await page.close();
  });

  it('submits argv lines as they are, and shows an error the API finds beside its field', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { page, assertClean } = await signedIn();
    await page.goto(`${server.url}/#/new`);

    // Act: a variable name the API refuses.
    await page.getByLabel('Command', { exact: true }).fill('echo\nhello   world');
    await page.getByLabel('Environment').fill('1BAD=x');
    await page.getByRole('button', { name: 'Submit job' }).click();

    // Assess: beside the field, tied to it, and in the summary above the form.
    const envError = page.locator('[data-field="env"] .field-error');
    await envError.getByText('1BAD: invalid name').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.getByLabel('Environment').getAttribute('aria-invalid'), 'true');
    await page.getByRole('alert').filter({ hasText: 'The job was not submitted' }).waitFor();

    await page.getByLabel('Environment').fill('GREETING=hi');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(/#\/jobs\/job-/, { timeout: UI_TIMEOUT_MS });
    await logLine(page, 'hello   world').waitFor({ timeout: UI_TIMEOUT_MS });
    await assertClean();
    await page.close();
  });

  it('shows the last 1,000 lines first, older ones on demand, and downloads the whole log', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare
    const job = await finishedJob({ command: ['seq', '1', '1500'] });
    const { page, assertClean } = await signedIn();
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    await page.getByText('End of the log.').waitFor({ timeout: UI_TIMEOUT_MS });
    const lines = page.locator('#log .log-line');
    assert.equal(await lines.count(), 1000);
    assert.equal(await lines.first().textContent(), '501');

    // Act
    await page.getByRole('button', { name: 'Show older lines' }).click();

    // Assess
    await page.getByRole('button', { name: 'Show older lines' }).waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    assert.equal(await lines.count(), 1500);
    assert.equal(await lines.first().textContent(), '1');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI_TIMEOUT_MS }), page.getByRole('button', { name: 'Download the whole log' }).click()]);
    assert.equal(download.suggestedFilename(), `${job.id}.log`);
    const text = await readFile(await download.path(), 'utf8');
    assert.equal(text, `${Array.from({ length: 1500 }, (_, index) => index + 1).join('\n')}\n`);
    await assertClean();
    await page.close();
  });

  it('cancels a running job with the keyboard alone, through a dialog that starts on the safe choice', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare
    const job = await submitted({ command: ['sleep', '300'] });
    const { page, assertClean } = await signedIn();
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    await badge(page, 'Running').waitFor({ timeout: UI_TIMEOUT_MS });

    // Act: Tab to the button, Enter; the dialog opens on "Keep it running": Enter keeps it.
    await tabTo(page, 'Cancel job');
    await page.keyboard.press('Enter');
    assert.equal(await focusedText(page), 'Keep it running');
    await page.keyboard.press('Enter');
    assert.equal(await focusedText(page), 'Cancel job', 'focus goes back to the button that opened the dialog');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await focusedText(page), 'Cancel the job');
    await page.keyboard.press('Enter');

    // Assess
    await badge(page, 'Cancelled').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.locator('.timeline [aria-current="step"]', { hasText: 'Cancelled' }).waitFor();
    assert.equal((await server.request<JobDocument>('GET', `/jobs/${job.id}`)).json.status, 'CANCELLED');
    await page.getByRole('button', { name: 'Cancel job' }).waitFor({ state: 'hidden' });
    await assertClean();
    await page.close();
  });

  it('reruns a finished job, asking for its secret again, as a new job with the same command', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare
    const original = await finishedJob({ command: ['sh', '-c', 'echo "secret of ${#API_TOKEN} characters"'], env: { API_TOKEN: 'first-secret' }, labels: { team: 'rerun' } });
    const { page, assertClean } = await signedIn();
    await page.goto(`${server.url}/#/jobs/${original.id}`);
    await badge(page, 'Succeeded').waitFor({ timeout: UI_TIMEOUT_MS });

    // Act: without the secret the console refuses; with it, the rerun starts.
    await page.getByRole('button', { name: 'Rerun…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rerun this job?' });
    await dialog.getByRole('button', { name: 'Rerun', exact: true }).click();
    await dialog.getByText('Type its value').waitFor();
    await dialog.getByLabel('API_TOKEN').fill('another');
    await dialog.getByRole('button', { name: 'Rerun', exact: true }).click();

    // Assess
    await page.waitForURL((url) => /#\/jobs\/job-/.test(url.hash) && !url.hash.includes(original.id), { timeout: UI_TIMEOUT_MS });
    await logLine(page, 'secret of 7 characters').waitFor({ timeout: UI_TIMEOUT_MS });
    const rerunId = decodeURIComponent(new URL(page.url()).hash.replace('#/jobs/', ''));
    const rerun = (await server.request<JobDocument>('GET', `/jobs/${rerunId}`)).json;
    assert.deepEqual(rerun.command, original.command);
    assert.equal(rerun.rerunOf, original.id);
    await page.getByRole('link', { name: original.id }).waitFor();
    await assertClean();
    await page.close();
  });

  it('lists the attempts of a job its retry rules tried again, each with how it ended', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare: fails (exit 7) until its third attempt.
    const job = await finishedJob({ command: ['sh', '-c', 'test "$FARGATE_JOBS_ATTEMPT" = 3 || exit 7'], retry: { attempts: 3 } });
    const { page, assertClean } = await signedIn();

    // Act
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    await badge(page, 'Succeeded').waitFor({ timeout: UI_TIMEOUT_MS });

    // Assess
    const table = page.getByRole('table', { name: 'Attempts, oldest first' });
    await table.waitFor({ timeout: UI_TIMEOUT_MS });
    const rows = table.locator('tbody tr');
    assert.equal(await rows.count(), 3);
    const cells = async (row: number) => (await rows.nth(row).locator('th, td').allInnerTexts()).map((text) => text.trim());
    const [first, second, third] = [await cells(0), await cells(1), await cells(2)];
    assert.deepEqual([first[0], first[4]], ['1', '7']);
    assert.match(first[5] ?? '', /^USER_EXIT: /);
    assert.deepEqual([second[0], second[4]], ['2', '7']);
    assert.deepEqual([third[0], third[4], third[5]], ['3', '0', '–']);
    await assertClean();
    await page.close();
  });

  it('starts a new job from another’s request, a shell command as a shell command', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare
    const original = await finishedJob({ command: 'echo "from a $0"', labels: { team: 'edit' }, timeoutSeconds: 120 });
    const { page, assertClean } = await signedIn();
    await page.goto(`${server.url}/#/jobs/${original.id}`);

    // Act
    await page.getByRole('link', { name: 'Edit as a new job' }).click();
    await page.getByRole('heading', { level: 1, name: 'New job from another' }).waitFor({ timeout: UI_TIMEOUT_MS });

    // Assess: the form holds the request; submitted as it is, it runs the same command.
    assert.equal(await page.getByLabel('A shell command line').isChecked(), true);
    assert.equal(await page.getByLabel('Command', { exact: true }).inputValue(), 'echo "from a $0"');
    assert.equal(await page.getByLabel('Labels').inputValue(), 'team=edit');
    assert.equal(await page.getByLabel('Timeout in seconds').inputValue(), '120');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL((url) => /#\/jobs\/job-/.test(url.hash) && !url.hash.includes(original.id), { timeout: UI_TIMEOUT_MS });
    await logLine(page, 'from a /bin/sh').waitFor({ timeout: UI_TIMEOUT_MS });
    await assertClean();
    await page.close();
  });

  it('filters the list by status, profile and label', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare
    const failed = await finishedJob({ command: ['sh', '-c', 'exit 3'], labels: { filter: 'red' } });
    const echoed = await finishedJob({ profile: 'echo', command: ['echo', 'hi'], labels: { filter: 'blue' } });
    const { page, assertClean } = await signedIn();
    const row = (id: string) => page.locator(`tr[data-job-id="${id}"]`);
    await row(echoed.id).waitFor({ timeout: UI_TIMEOUT_MS });

    // Act and assess: each filter keeps its jobs and drops the others.
    await page.getByLabel('Status').selectOption('FAILED');
    await page.getByRole('button', { name: 'Apply' }).click();
    await row(failed.id).waitFor({ timeout: UI_TIMEOUT_MS });
    await row(echoed.id).waitFor({ state: 'detached' });
    assert.deepEqual(new Set(await page.locator('tbody .badge').allTextContents()), new Set(['✗ Failed']));

    await page.goto(`${server.url}/#/`);
    await page.getByLabel('Profile').selectOption('echo');
    await page.getByRole('button', { name: 'Apply' }).click();
    await row(echoed.id).waitFor({ timeout: UI_TIMEOUT_MS });
    await row(failed.id).waitFor({ state: 'detached' });

    await page.goto(`${server.url}/#/`);
    await page.getByLabel('Labels').fill('filter=red');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/label=filter%3Dred/);
    await row(failed.id).waitFor({ timeout: UI_TIMEOUT_MS });
    await row(echoed.id).waitFor({ state: 'detached' });
    await assertClean();
    await page.close();
  });

  it('pages through the list, older and newer, from the keyboard', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare: one job more than a page holds.
    const jobs: JobDocument[] = [];
    for (let index = 0; index < 26; index += 1) jobs.push(await submitted({ profile: 'echo', command: ['echo', String(index)], labels: { batch: 'paging' } }));
    const { page, assertClean } = await signedIn();
    await page.goto(`${server.url}/#/?label=batch%3Dpaging`);
    const rows = page.locator('tbody tr[data-job-id]');
    await page.locator(`tr[data-job-id="${jobs[25]?.id}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await rows.count(), 25);

    // Act and assess
    await tabTo(page, 'Older →');
    await page.keyboard.press('Enter');
    await page.locator(`tr[data-job-id="${jobs[0]?.id}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await rows.count(), 1);
    assert.equal(await focusedText(page), '← Newer', 'the last page has no Older: focus moves to Newer');
    await page.keyboard.press('Enter');
    await page.locator(`tr[data-job-id="${jobs[25]?.id}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await rows.count(), 25);
    await assertClean();
    await page.close();
  });

  it('shows a job submitted elsewhere in the open list without a reload', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { page, assertClean } = await signedIn();
    await page.getByText('Live: the list follows the jobs').waitFor({ timeout: UI_TIMEOUT_MS });

    const job = await submitted({ command: ['echo', 'appears'] });

    await page.locator(`tr[data-job-id="${job.id}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
    await assertClean();
    await page.close();
  });

  it('shows markup and escape sequences a job prints as text, honouring colours only', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare
    const job = await finishedJob({
      command: ['sh', '-c', "printf '\\033]0;title\\007\\033[31mred\\033[0m\\n'; echo '<img src=x onerror=alert(1)>'; printf 'a\\033[2Jb\\033]52;c;aGk=\\007c\\n'"],
      labels: { note: '<b>bold?</b>' },
    });
    const { page, assertClean } = await signedIn();

    // Act
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    await page.getByText('End of the log.').waitFor({ timeout: UI_TIMEOUT_MS });

    // Assess
    assert.equal(await page.locator('#log img').count(), 0);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await logLine(page, '<img src=x onerror=alert(1)>').count(), 1);
    assert.equal(await page.locator('#log span.ansi-red').textContent(), 'red');
    assert.equal(await page.locator('#log .log-line').first().textContent(), 'red');
    assert.equal(await page.locator('#log .log-line').nth(2).textContent(), 'abc');
    assert.doesNotMatch(await page.title(), /^title$/);
    await page.locator('.label', { hasText: 'note=<b>bold?</b>' }).waitFor();
    assert.equal(await page.locator('main b').count(), 0);
    await assertClean();
    await page.close();
  });

  it('writes screenshots of the list and of a job’s page', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare: a job worth looking at.
    const job = await finishedJob({ command: ['check-site', '--env', 'staging'], labels: { team: 'platform', env: 'staging' }, timeoutSeconds: 600 });
    const { page, assertClean } = await signedIn();
    await screenshot(page, 'console-job-list');

    await page.goto(`${server.url}/#/jobs/${job.id}`);
    await page.getByText('End of the log.').waitFor({ timeout: UI_TIMEOUT_MS });
    const path = await screenshot(page, 'console-job-page');
    // The README's picture, when asked for: a committed file is not rewritten by every run.
    if (process.env.CONSOLE_SCREENSHOT_DOCS === '1') writeFileSync(join(PROJECT_ROOT, 'docs', 'console-job-page.png'), await page.screenshot());
    assert.ok(path.endsWith('.png'));

    const narrow = await signedIn({ width: 360, colorScheme: 'dark' });
    await narrow.page.goto(`${server.url}/#/jobs/${job.id}`);
    await narrow.page.getByText('End of the log.').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.ok(await narrow.page.evaluate('document.documentElement.scrollWidth <= 360'), 'nothing on a job’s page is wider than a 360 px screen');
    await screenshot(narrow.page, 'console-job-page-360-dark');
    await narrow.page.goto(`${server.url}/#/`);
    await narrow.page.locator(`tr[data-job-id="${job.id}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.ok(await narrow.page.evaluate('document.documentElement.scrollWidth <= 360'), 'nothing in the list is wider than a 360 px screen');
    await screenshot(narrow.page, 'console-job-list-360-dark');
    await assertClean();
    await narrow.assertClean();
    await page.close();
    await narrow.page.close();
  });
});

async function atBottom(page: Page): Promise<boolean> {
  return (await page.evaluate("(({ scrollHeight, scrollTop, clientHeight }) => scrollHeight - scrollTop - clientHeight <= 8)(document.querySelector('#log'))")) as boolean;
}

async function focusedText(page: Page): Promise<string> {
  return (await page.evaluate("document.activeElement?.textContent?.trim() ?? ''")) as string;
}

/** Presses Tab until the element with this text has focus, as a keyboard user would. */
async function tabTo(page: Page, text: string): Promise<void> {
  for (let presses = 0; presses < 40; presses += 1) {
    if ((await focusedText(page)) === text) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached "${text}"`);
}
