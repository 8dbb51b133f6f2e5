/**
 * @module web/dom
 * Tiny DOM helpers for the demo pages. Everything dynamic is written with `textContent`: nothing
 * from the server or the user is ever parsed as HTML.
 */

/** The element with `id`, typed; throws if the page lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Shows or hides an element. */
export function show(element: HTMLElement, visible = true): void {
  element.hidden = !visible;
}

/** A new element with text and optional class. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className) element.className = className;
  return element;
}

/** Replaces the children of `parent`. */
export function fill(parent: HTMLElement, children: HTMLElement[]): void {
  parent.replaceChildren(...children);
}
