/**
 * One entry of the conversation as DOM: system lines, messages (text as Markdown with safe links, code snippets,
 * images), the delivery status of own messages, day dividers and the grouping of a sender's consecutive messages.
 * Builds elements only through dom.ts, so nothing from the network becomes markup.
 */
import type { DeliveryView, EntryView } from '../src/shared/panel-messages';
import { snippetLocation } from '../src/shared/snippet';
import { append, h, icon, replaceChildren, srOnly, type Child } from './dom';
import { mentionsSelf, renderActions, renderDeleted, renderEdited, renderQuote, renderReactions, renderText } from './entry-extras';
import { dayKey, formatBytes, formatDay, formatFullDate, formatPercent, formatTime, isoDate } from './format';
import { renderSnippet } from './snippet-view';

/** Messages of one sender closer together than this share one name/time header. */
const GROUP_GAP_MS = 5 * 60_000;
/** Largest box an inline image is shown in (CSS px); narrower panels shrink it further, keeping the aspect. */
const IMAGE_BOX = { width: 360, height: 280 } as const;

type MessageEntry = Extract<EntryView, { kind: 'text' | 'image' }>;

export interface Rendered {
  entry: EntryView;
  element: HTMLElement;
  /** The delivery status element of an own message. */
  delivery: HTMLElement | undefined;
}

/** Whether `entry` joins the group of `previous` (same sender, same day, within a few minutes). */
export function continues(previous: EntryView | undefined, entry: EntryView): boolean {
  if (previous === undefined || previous.kind === 'system' || entry.kind === 'system') return false;
  return (
    previous.from === entry.from &&
    previous.own === entry.own &&
    entry.sentAt - previous.sentAt < GROUP_GAP_MS &&
    entry.sentAt >= previous.sentAt &&
    dayKey(previous.sentAt) === dayKey(entry.sentAt)
  );
}

export function setContinued(element: HTMLElement, continued: boolean): void {
  element.classList.toggle('entry--continued', continued);
}

export function dayDivider(ms: number): HTMLElement {
  return h('div', { class: 'log__day' }, [h('span', {}, [formatDay(ms)])]);
}

function timeElement(ms: number): HTMLTimeElement {
  return h('time', { class: 'entry__time', attrs: { datetime: isoDate(ms), title: formatFullDate(ms) } }, [formatTime(ms)]);
}

export function renderSystem(entry: Extract<EntryView, { kind: 'system' }>): HTMLElement {
  return h('div', { class: `entry entry--system entry--${entry.tone}`, attrs: { 'data-entry-id': entry.id } }, [
    entry.tone === 'info' ? null : icon('warning', 'icon entry__icon'),
    h('span', { class: 'entry__text' }, [entry.text]),
    timeElement(entry.at),
  ]);
}

export function renderMessage(entry: MessageEntry, continued: boolean, roomEncrypted: boolean, self?: string): Rendered {
  const classes = ['entry', `entry--${entry.kind}`];
  if (entry.own) classes.push('entry--own');
  if (continued) classes.push('entry--continued');
  const mentionsMe = mentionsSelf(entry, self);
  if (mentionsMe) classes.push('entry--mentions-me');
  if (entry.deleted === true) classes.push('entry--deleted');
  if (entry.kind === 'text' && entry.snippet !== undefined) classes.push('entry--snippet');
  const header = h('div', { class: 'entry__header' }, [
    h('span', { class: 'entry__from', attrs: { title: entry.own ? entry.from : undefined } }, [entry.own ? 'You' : entry.from]),
    entry.legacy
      ? h('span', { class: 'tag', attrs: { title: 'Sent from a classic client: plain text, no delivery acknowledgements' } }, ['legacy'])
      : null,
    roomEncrypted && !entry.encrypted
      ? h('span', { class: 'tag tag--warning', attrs: { title: 'This message was not end-to-end encrypted' } }, ['unencrypted'])
      : null,
    timeElement(entry.sentAt),
    mentionsMe ? h('span', { class: 'tag tag--mention', attrs: { title: 'This message mentions you' } }, ['mentions you']) : null,
  ]);
  const bubble = h('div', { class: 'entry__bubble', attrs: { title: formatFullDate(entry.sentAt) } });
  append(bubble, [renderQuote(entry)]);
  if (entry.deleted === true) bubble.append(renderDeleted());
  else if (entry.kind === 'text') bubble.append(entry.snippet === undefined ? renderText(entry.text, entry.mentions, self) : renderSnippet(entry.text, entry.snippet));
  else append(bubble, renderImage(entry));
  append(bubble, [renderEdited(entry)]);
  let delivery: HTMLElement | undefined;
  if (entry.own) {
    delivery = h('span', { class: 'entry__delivery' });
    if (entry.delivery !== undefined) renderDelivery(delivery, entry, entry.delivery);
  }
  const element = h('div', { class: classes.join(' '), attrs: { 'data-entry-id': entry.id, tabindex: -1, 'aria-label': rowLabel(entry, mentionsMe) } }, [
    header,
    h('div', { class: 'entry__row' }, [bubble, delivery, renderActions(entry)]),
    renderReactions(entry.reactions, self),
  ]);
  return { entry, element, delivery };
}

function renderImage(entry: Extract<EntryView, { kind: 'image' }>): Child[] {
  const { width, height, bytes, src } = entry.image;
  const dims = `${Math.round(width)}×${Math.round(height)}`;
  const scale = width > 0 && height > 0 ? Math.min(1, IMAGE_BOX.width / width, IMAGE_BOX.height / height) : 1;
  const shownWidth = Math.max(1, Math.round(width * scale));
  const shownHeight = Math.max(1, Math.round(height * scale));
  const alt = `Image from ${entry.from}, ${dims}`;
  let shown: HTMLElement;
  if (src === undefined) {
    // The saved file is gone (the disk quota) or not written yet: a box of the same size says so.
    shown = h('span', { class: 'entry__image entry__image--missing', attrs: { role: 'img', 'aria-label': `${alt}, no longer saved` } }, [
      'Image no longer saved',
    ]);
  } else {
    const image = h('img', {
      class: 'entry__image',
      attrs: { alt, width: shownWidth, height: shownHeight, decoding: 'async', loading: 'lazy', draggable: 'false' },
    });
    // Only http(s) URLs pass the protocol guard and the CSP allows only the webview's own origin; set as a
    // property, never through markup.
    image.src = src;
    shown = image;
  }
  const button = h('button', { class: 'entry__image-button', attrs: { type: 'button', title: 'Open full size in an editor tab' } }, [shown]);
  return [button, h('div', { class: 'entry__caption' }, [`${dims} · ${formatBytes(bytes)}`])];
}

/** What a screen reader says for a message row it lands on. */
function rowLabel(entry: MessageEntry, mentionsMe: boolean): string {
  const who = entry.own ? 'You' : entry.from;
  const what =
    entry.deleted === true
      ? 'deleted message'
      : entry.kind === 'image'
        ? 'an image'
        : entry.snippet !== undefined
          ? `code snippet ${snippetLocation(entry.snippet)}, ${entry.snippet.language}`
          : entry.text.slice(0, 300);
  const notes = [entry.replyTo ? `in reply to ${entry.replyTo.from ?? 'a message'}` : '', entry.editedAt !== undefined && entry.deleted !== true ? 'edited' : '', mentionsMe ? 'mentions you' : '']
    .filter((note) => note !== '')
    .join(', ');
  return `${who}, ${formatTime(entry.sentAt)}${notes ? `, ${notes}` : ''}: ${what}`;
}

export function renderDelivery(target: HTMLElement, entry: MessageEntry, delivery: DeliveryView): void {
  target.className = `entry__delivery entry__delivery--${delivery.state}`;
  target.removeAttribute('title');
  let children: Child[];
  switch (delivery.state) {
    case 'queued':
      target.title = 'Waiting for the connection; it will be sent automatically';
      children = ['queued'];
      break;
    case 'sending':
      children =
        entry.kind === 'image'
          ? [
              h('progress', {
                class: 'entry__progress',
                attrs: { max: 1, value: clamp01(delivery.progress), 'aria-label': 'Sending image' },
              }),
              h('span', {}, [`sending… ${formatPercent(delivery.progress)}`]),
            ]
          : ['sending…'];
      break;
    case 'delivered':
      target.title = 'Delivered to the relay';
      children = [h('span', { attrs: { 'aria-hidden': 'true' } }, ['✓']), srOnly('delivered')];
      break;
    case 'failed': {
      const reason = delivery.reason ?? 'unknown error';
      target.title = reason;
      if (delivery.discarded === true) {
        children = [h('span', {}, ['not sent']), srOnly(`: ${reason}`)];
        break;
      }
      children = [
        icon('warning', 'icon entry__icon'),
        h('span', {}, ['failed']),
        srOnly(`: ${reason}`),
        ' — ',
        h('button', { class: 'entry__retry', attrs: { type: 'button', title: `Send again (${reason})` } }, ['Retry']),
        ' · ',
        h('button', { class: 'entry__discard', attrs: { type: 'button', title: 'Do not send it: drop it from the queue' } }, ['Discard']),
      ];
      break;
    }
    default:
      children = assertNever(delivery.state);
  }
  replaceChildren(target, children);
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}

export interface EntryActions {
  retry(id: string): void;
  discard(id: string): void;
  openImage(id: string): void;
  /** A link was clicked: the host asks the user before opening it. */
  openLink(url: string): void;
  /** Reply, React, Edit, Delete on a row, a reaction toggled, a quote followed. */
  entryAction(id: string, action: 'reply' | 'react' | 'edit' | 'delete', anchor: HTMLElement): void;
  toggleReaction(id: string, emoji: string, on: boolean): void;
  goToReply(id: string): void;
  /** A snippet's Copy and Open: the host copies its code, or opens its lines. */
  copySnippet(id: string): void;
  openSnippet(id: string): void;
}

/** One click handler for the whole log: links, Retry, Discard, images, snippets' Copy and Open of any entry. */
export function routeEntryClick(event: MouseEvent, actions: EntryActions): void {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const link = target.closest<HTMLAnchorElement>('a.entry__link');
  if (link) {
    // Never navigate from the webview: the host confirms with the user and opens it with openExternal.
    event.preventDefault();
    actions.openLink(link.href);
    return;
  }
  const control = target.closest<HTMLElement>('.entry__retry, .entry__discard, .entry__image-button, .entry__action, .reaction, .entry__quote');
  const entry = control?.closest<HTMLElement>('.entry');
  const id = entry?.dataset.entryId;
  if (control === null || control === undefined || id === undefined) return;
  const action = control.dataset.action;
  if (action === 'copy-snippet') actions.copySnippet(id);
  else if (action === 'open-snippet') actions.openSnippet(id);
  else if (action === 'reply' || action === 'react' || action === 'edit' || action === 'delete') actions.entryAction(id, action, control);
  else if (control.classList.contains('reaction')) actions.toggleReaction(id, control.dataset.emoji ?? '', control.getAttribute('aria-pressed') !== 'true');
  else if (control.classList.contains('entry__quote')) actions.goToReply(control.dataset.replyTo ?? '');
  else if (control.classList.contains('entry__retry')) actions.retry(id);
  else if (control.classList.contains('entry__discard')) actions.discard(id);
  else actions.openImage(id);
}
