/**
 * The console's one way to make DOM: elements, attributes and text nodes. Nothing here parses
 * markup (no innerHTML, no insertAdjacentHTML), so a string from the API or a job's log can only
 * ever become text, and nothing sets a `style` attribute (the CSP refuses inline styles).
 */

/** A child: text (a text node), an element, or nothing (skipped, for conditional children). */
export type Child = Node | string | number | null | undefined | false;

/** Attributes: a string sets it, `true` sets it empty, `false`/undefined leaves it out; `on…` functions are listeners. */
export type Attributes = Record<string, string | number | boolean | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== undefined) setSafeAttribute(element, name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/**
 * Attributes come from this code, but values may come from the API (a label, an id in a link):
 * `style` and event-handler attributes are refused outright, and a link only ever points inside the
 * console or at a `blob:` of our own.
 */
function setSafeAttribute(element: Element, name: string, value: string): void {
  const lower = name.toLowerCase();
  if (lower === 'style' || lower.startsWith('on')) throw new Error(`refusing to set attribute ${name}`);
  if ((lower === 'href' || lower === 'src') && !/^(#|blob:|\.\/|\/(?!\/))/.test(value)) throw new Error(`refusing ${name} ${value}`);
  element.setAttribute(name, value);
}

/** A unique id for label/aria links. */
let nextId = 0;
export function uniqueId(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}
