/**
 * DOM building without HTML parsing: every string becomes a text node or an attribute value, never markup, so
 * names and messages from the network cannot create elements. Nothing here writes inline styles (CSP).
 */

export type Child = Node | string | null | undefined | false;
export type AttrValue = string | number | boolean | undefined;

export interface Props {
  class?: string;
  /** `false`/`undefined` leave the attribute out, `true` sets it empty. */
  attrs?: Record<string, AttrValue>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class !== undefined) element.className = props.class;
  if (props.attrs !== undefined) setAttrs(element, props.attrs);
  append(element, children);
  return element;
}

export function setAttrs(element: Element, attrs: Record<string, AttrValue>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) element.removeAttribute(name);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces all children (text via text nodes only). */
export function replaceChildren(parent: Element, children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Text for screen readers only. */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { class: 'sr-only' }, [text]);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** 16×16 icons drawn with `currentColor`, so they follow the theme. Paths are constants, never data. */
const ICONS = {
  lock: 'M4 7V5a4 4 0 0 1 8 0v2h.5c.28 0 .5.22.5.5v7c0 .28-.22.5-.5.5h-9a.5.5 0 0 1-.5-.5v-7c0-.28.22-.5.5-.5H4zm1.5 0h5V5a2.5 2.5 0 0 0-5 0v2z',
  unlock:
    'M5.5 7h7c.28 0 .5.22.5.5v7c0 .28-.22.5-.5.5h-9a.5.5 0 0 1-.5-.5v-7c0-.28.22-.5.5-.5H4V5a4 4 0 0 1 7.87-1l-1.46.38A2.5 2.5 0 0 0 5.5 5v2z',
  people:
    'M6 7.5a2.75 2.75 0 1 0 0-5.5 2.75 2.75 0 0 0 0 5.5zM1 14c0-2.76 2.24-5 5-5s5 2.24 5 5H1zm10.5-6.5a2.25 2.25 0 1 0 0-4.5 2.25 2.25 0 0 0 0 4.5zM12.4 14H15c0-2.2-1.55-4-3.6-4.4.9.98 1.5 2.3 1.5 3.74V14z',
  image:
    'M2.5 2h11c.83 0 1.5.67 1.5 1.5v9c0 .83-.67 1.5-1.5 1.5h-11A1.5 1.5 0 0 1 1 12.5v-9C1 2.67 1.67 2 2.5 2zm0 1.5v7.38l3.15-3.16a.75.75 0 0 1 1.06 0L9 10l1.65-1.65a.75.75 0 0 1 1.06 0l1.79 1.78V3.5h-11zM11 7a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z',
  send: 'M1.72 1.05a.5.5 0 0 1 .54-.07l13 6.5a.5.5 0 0 1 0 .9l-13 6.5a.5.5 0 0 1-.7-.6L3.47 8 1.56 1.72a.5.5 0 0 1 .16-.67zM4.36 8.5l-1.3 4.3L13.38 8 3.06 3.2l1.3 4.3H9v1H4.36z',
  arrowDown: 'M7.25 2h1.5v9.19l3.22-3.22 1.06 1.06L8 14.06 2.97 9.03l1.06-1.06 3.22 3.22V2z',
  search: 'M6.5 1.5a5 5 0 0 1 3.93 8.09l3.99 3.99-.85.85-3.99-3.99A5 5 0 1 1 6.5 1.5zm0 1.25a3.75 3.75 0 1 0 0 7.5 3.75 3.75 0 0 0 0-7.5z',
  close: 'M8 7.15 12.15 3l.85.85L8.85 8 13 12.15l-.85.85L8 8.85 3.85 13 3 12.15 7.15 8 3 3.85 3.85 3 8 7.15z',
  warning:
    'M7.13 1.5a1 1 0 0 1 1.74 0l6.5 11.5A1 1 0 0 1 14.5 14.5h-13a1 1 0 0 1-.87-1.5l6.5-11.5zM7.25 5.5v4h1.5v-4h-1.5zM8 12.75a.9.9 0 1 0 0-1.8.9.9 0 0 0 0 1.8z',
} as const;

export type IconName = keyof typeof ICONS;

export function icon(name: IconName, className = 'icon'): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', className);
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill-rule', 'evenodd');
  svg.append(path);
  return svg;
}
