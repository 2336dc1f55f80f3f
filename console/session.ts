/**
 * Where the console keeps its token: sessionStorage (this tab, until it closes). It arrives by the
 * login URL `npm start` prints (`/#token=…`): a fragment never goes to a server, and the page moves
 * it out of the address bar (and out of the history entry) before anything else runs.
 */

const TOKEN_KEY = 'fargate-jobs.token';

/** Takes a `#token=…` fragment into sessionStorage and drops it from the URL; true if there was one. */
export function adoptTokenFromFragment(location: Location, history: History, storage: Storage): boolean {
  const match = /^#token=([^&]*)/.exec(location.hash);
  if (!match) return false;
  const token = decodeURIComponent(match[1] ?? '');
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  if (token !== '') storage.setItem(TOKEN_KEY, token);
  return token !== '';
}

export function storedToken(storage: Storage): string | undefined {
  return storage.getItem(TOKEN_KEY) ?? undefined;
}

export function storeToken(storage: Storage, token: string): void {
  storage.setItem(TOKEN_KEY, token);
}

export function forgetToken(storage: Storage): void {
  storage.removeItem(TOKEN_KEY);
}
