/**
 * The web console as a browser gets it from `npm start`'s server: the printed login URL opened in
 * Chromium (test/helpers/browser.ts), the page with its hashed script and style sheet under the
 * console's Content-Security-Policy, nothing refused by the policy, no script error, no request
 * elsewhere. And the harness itself, shown to catch each of those on pages made to break them, so
 * that a clean run means something.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'playwright-core';
import { CONSOLE_SECURITY_HEADERS } from '#lib/http/console.ts';
import { launchBrowser, printedLoginUrl, screenshot, type BrowserUnderTest } from '../helpers/browser.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

/** A browser and a server starting together take a few seconds on a busy machine. */
const BROWSER_TEST_TIMEOUT_MS = 60_000;

let browser: BrowserUnderTest;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The response headers the console's routes carry, whatever else they carry. */
function assertSecurityHeaders(response: Response | null, what: string): void {
  assert.ok(response, `${what}: no response`);
  const headers = response.headers();
  for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) assert.equal(headers[name], value, `${what}: ${name}`);
}

describe('the console from npm start, in Chromium', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  let server: LocalServerProcess;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('prints a login URL on the Console: line, with the token in the fragment', () => {
    // Act
    const loginUrl = new URL(printedLoginUrl(server.output()));

    // Assess
    assert.equal(loginUrl.origin, new URL(server.url).origin);
    assert.equal(loginUrl.pathname, '/');
    assert.equal(loginUrl.hash, `#token=${server.token}`);
  });

  it('loads the page of the login URL with its hashed script and style sheet, under the policy, cleanly', async () => {
    // Prepare
    const loginUrl = printedLoginUrl(server.output());
    const { page, assertClean } = await browser.newPage(server.url);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const assets = new Map<string, Response>();
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/assets/')) assets.set(new URL(response.url()).pathname, response);
    });

    // Act
    const index = await page.goto(loginUrl, { waitUntil: 'load' });
    // The module ran: it replaced what index.html shows until it does. (Code run in the page is
    // written as text: these tests are type-checked without the DOM's types.)
    await page.waitForFunction("document.querySelector('#app')?.textContent?.trim() !== 'Loading…'", undefined, { timeout: 10_000 });
    const styleSheets = (await page.evaluate('[...document.styleSheets].map((sheet) => ({ href: sheet.href, rules: sheet.cssRules.length }))')) as Array<{ href: string | null; rules: number }>;
    const picture = await screenshot(page, 'console-login');

    // Assess
    assert.equal(index?.status(), 200);
    assert.equal(index?.headers()['content-type'], 'text/html; charset=utf-8');
    assertSecurityHeaders(index, 'GET /');
    const script = [...assets].find(([path]) => /^\/assets\/main-[0-9a-f]{16}\.js$/.test(path))?.[1];
    const styles = [...assets].find(([path]) => /^\/assets\/styles-[0-9a-f]{16}\.css$/.test(path))?.[1];
    assert.ok(script && styles, `the page loaded ${[...assets.keys()].join(', ') || 'no asset'}`);
    for (const [response, contentType] of [[script, 'text/javascript; charset=utf-8'], [styles, 'text/css; charset=utf-8']] as const) {
      assert.equal(response.status(), 200, response.url());
      assert.equal(response.headers()['content-type'], contentType);
      assert.equal(response.headers()['cache-control'], 'public, max-age=31536000, immutable');
      assertSecurityHeaders(response, response.url());
    }
    assert.ok(styleSheets.some((sheet) => sheet.href === styles.url() && sheet.rules > 0), `the style sheet applies: ${JSON.stringify(styleSheets)}`);
    assert.ok(!requested.some((url) => url.includes(server.token)), `the token left the browser in a URL: ${requested.join(', ')}`);
    assert.ok(statSync(picture).size > 0, picture);
    await assertClean();
  });

  it('answers a file the console does not have 404 in the error shape, with the policy', async () => {
    // Prepare
    const { page, assertClean } = await browser.newPage(server.url);

    // Act
    const response = await page.goto(`${server.url}/assets/main-0000000000000000.js`);

    // Assess
    assert.equal(response?.status(), 404);
    assert.equal(((await response?.json()) as { error: { code: string } }).error.code, 'ASSET_NOT_FOUND');
    assertSecurityHeaders(response, 'GET /assets/<unknown>');
    await assertClean();
  });
});

describe('the browser harness', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  /** Pages made to break each rule, served with the console's own headers where they matter. */
  const PAGES: Record<string, { headers: Record<string, string>; body: string; contentType?: string }> = {
    '/inline-script': { headers: CONSOLE_SECURITY_HEADERS, body: '<!doctype html><p>x</p><script>document.title = "ran";</script>' },
    '/inline-style': { headers: CONSOLE_SECURITY_HEADERS, body: '<!doctype html><p style="color: red">x</p>' },
    '/third-party': { headers: {}, body: '' },
    '/throws': { headers: CONSOLE_SECURITY_HEADERS, body: '<!doctype html><script src="/throws.js"></script>' },
    '/throws.js': { headers: CONSOLE_SECURITY_HEADERS, body: 'throw new Error("thrown on purpose");', contentType: 'text/javascript' },
  };
  let pages: Server;
  let origin = '';
  const served: string[] = [];
  before(async () => {
    pages = createServer((request, response) => {
      served.push(`${request.headers.host ?? ''}${request.url ?? ''}`);
      const page = PAGES[request.url ?? ''];
      if (!page) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': page.contentType ?? 'text/html; charset=utf-8', ...page.headers }).end(page.body);
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    // Another origin, on the same server: `localhost` is not `127.0.0.1` to a browser.
    PAGES['/third-party'] = { headers: {}, body: `<!doctype html><img src="http://localhost:${new URL(origin).port}/pixel.png">` };
  });
  after(async () => {
    await new Promise((resolve) => pages?.close(resolve));
  });

  it('catches inline script and inline style refused by the policy', async () => {
    for (const path of ['/inline-script', '/inline-style']) {
      // Prepare
      const { page, problems, assertClean } = await browser.newPage(origin);

      // Act
      await page.goto(`${origin}${path}`, { waitUntil: 'load' });

      // Assess
      await assert.rejects(assertClean(), /the page had problems/, path);
      const directive = path === '/inline-script' ? 'script-src-elem' : 'style-src-attr';
      assert.ok(problems().some((problem) => problem.startsWith('CSP violation') && problem.includes(`"directive":"${directive}"`)), `${path}: ${problems().join('\n')}`);
      assert.ok(problems().some((problem) => problem.startsWith('console error about the CSP')), `${path}: ${problems().join('\n')}`);
    }
  });

  it('catches and blocks a request to another origin', async () => {
    // Prepare
    const { page, problems, assertClean } = await browser.newPage(origin);

    // Act
    await page.goto(`${origin}/third-party`, { waitUntil: 'load' });

    // Assess
    await assert.rejects(assertClean(), /request to another origin/);
    assert.ok(problems().some((problem) => problem.includes(`GET http://localhost:${new URL(origin).port}/pixel.png (blocked)`)), problems().join('\n'));
    assert.ok(!served.some((request) => request.endsWith('/pixel.png')), `the request was not blocked: ${served.join(', ')}`);
  });

  it('fails, naming the package to install, where Chromium is missing', async () => {
    await assert.rejects(launchBrowser({ executablePath: '/nonexistent/chromium' }), {
      name: 'AssertionError',
      message: /need Chromium at \/nonexistent\/chromium: install Debian's package \(apt-get install chromium/,
    });
  });

  it("catches an error thrown by the page's script", async () => {
    // Prepare
    const { page, problems, assertClean } = await browser.newPage(origin);

    // Act
    await page.goto(`${origin}/throws`, { waitUntil: 'load' });

    // Assess
    await assert.rejects(assertClean(), /thrown on purpose/);
    assert.ok(problems().some((problem) => problem.startsWith('page error')), problems().join('\n'));
  });
});
