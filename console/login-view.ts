/** The token form: where a reader without a login URL (or with a refused token) starts. */
import { h } from './dom.ts';

/** Why the form shows: a refused token (an error), or news such as a sign-out. */
export interface LoginMessage {
  text: string;
  kind: 'error' | 'info';
}

export function renderLogin(root: HTMLElement, message: LoginMessage | undefined, onToken: (token: string) => void): void {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'token-error token-help',
  });
  const error = h('p', { class: message?.kind === 'info' ? 'message' : 'message message-error', role: 'alert', id: 'token-error' }, message?.text ?? '');
  error.hidden = message === undefined;
  const form = h(
    'form',
    { class: 'login', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'API token'), input),
    h(
      'p',
      { class: 'hint', id: 'token-help' },
      'Locally, ',
      h('code', {}, 'npm start'),
      ' prints a login URL that signs you in, and the token itself (also in ',
      h('code', {}, '.data/token'),
      '). The token stays in this tab only.',
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === '') {
      error.className = 'message message-error';
      error.textContent = 'Enter a token.';
      error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    onToken(token);
  });
  root.replaceChildren(h('h1', { tabindex: '-1' }, 'Sign in'), error, form);
  input.focus();
}
