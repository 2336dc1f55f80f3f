/**
 * The console's entry point: the token, the frame (header, announcer) and the routes.
 *
 * No framework. Four views (the token form, the job list, a job's page, the job form) each render
 * once and then change a few nodes as long polls answer: a 60-line DOM helper (dom.ts) that can
 * only make elements and text does that, escaping by construction, and the bundle stays a few KB.
 * A framework's runtime, its templates and its own escaping rules would not earn their bytes here.
 */
import { createApi, type Api, type UnauthorizedError } from './api.ts';
import type { Profile } from './api-types.ts';
import { h } from './dom.ts';
import { renderJobForm } from './job-form-view.ts';
import { renderJobList } from './job-list-view.ts';
import { renderJobPage } from './job-page-view.ts';
import { renderLogin, type LoginMessage } from './login-view.ts';
import { parseRoute } from './router.ts';
import { adoptTokenFromFragment, forgetToken, storedToken, storeToken } from './session.ts';

/** What every view gets: the API, its root element, a signal that aborts when the reader leaves. */
export interface ViewContext {
  api: Api;
  root: HTMLElement;
  signal: AbortSignal;
  /** Says `text` to screen readers (a polite live region). */
  announce(text: string): void;
  /** The profiles the token may use; undefined when the server does not list them. */
  profiles(): Promise<Profile[] | undefined>;
}

const root = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app', tabindex: '-1' }));
const announcer = h('div', { class: 'visually-hidden', 'aria-live': 'polite', id: 'announcer' });
const signOut = h('button', { type: 'button', class: 'link-button', onclick: () => logIn({ text: 'You signed out. The token is no longer kept in this tab.', kind: 'info' }) }, 'Sign out');
const nav = h('nav', { 'aria-label': 'Main' }, h('a', { href: '#/' }, 'Jobs'), h('a', { href: '#/new' }, 'New job'), signOut);
document.body.prepend(h('header', { class: 'top' }, h('a', { href: '#/', class: 'brand' }, 'fargate-jobs'), nav));
document.body.append(announcer);

let current: AbortController | undefined;
let api: Api | undefined;
let profilesPromise: Promise<Profile[] | undefined> | undefined;

function announce(text: string): void {
  // Emptied first, so that the same words said twice are said twice.
  announcer.textContent = '';
  setTimeout(() => (announcer.textContent = text), 50);
}

function startSession(token: string): void {
  storeToken(sessionStorage, token);
  const client = createApi(token, (error: UnauthorizedError) => {
    // A refusal that arrives after another sign-in is about a token no longer used.
    if (api === client) logIn({ text: `The server refused the token: ${error.message}. Enter a valid token.`, kind: 'error' });
  });
  api = client;
  profilesPromise = undefined;
  nav.hidden = false;
  route();
}

function logIn(message?: LoginMessage): void {
  current?.abort();
  forgetToken(sessionStorage);
  api = undefined;
  nav.hidden = true;
  document.title = 'Sign in · fargate-jobs';
  renderLogin(root, message, startSession);
}

function profiles(): Promise<Profile[] | undefined> {
  const client = api;
  if (!client) return Promise.resolve(undefined);
  // Should the request fail, the forms offer a free-text profile field instead of a list.
  profilesPromise ??= client.listProfiles().catch(() => undefined);
  return profilesPromise;
}

function route(): void {
  if (!api) return;
  current?.abort();
  current = new AbortController();
  const context: ViewContext = { api, root, signal: current.signal, announce, profiles };
  root.replaceChildren();
  const target = parseRoute(location.hash);
  if (target.view === 'list') renderJobList(context, target.query);
  else if (target.view === 'job') renderJobPage(context, target.id);
  else if (target.view === 'new') renderJobForm(context, target.from);
  else root.append(h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, 'There is nothing at this address. ', h('a', { href: '#/' }, 'Go to the jobs.')));
  // Keyboard and screen-reader users land on the new view's heading, as after a page load.
  root.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
  document.title = `${root.querySelector('h1')?.textContent ?? 'Console'} · fargate-jobs`;
}

window.addEventListener('hashchange', () => {
  if (adoptTokenFromFragment(location, history, sessionStorage)) startSession(storedToken(sessionStorage) ?? '');
  else route();
});

adoptTokenFromFragment(location, history, sessionStorage);
const token = storedToken(sessionStorage);
if (token) startSession(token);
else logIn();
