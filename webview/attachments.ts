/**
 * The attachment tray above the composer: images pasted into it or dropped onto the chat, each with its own preview
 * card. The webview only reads the files' bytes and hands them to the host (nothing is decoded or shown from them
 * here: the CSP allows no blob: or data: images); the host compresses each in the image worker, as Send Image does,
 * and posts the card's state: compressing (Cancel aborts it), ready (the compressed image from its temporary file,
 * its size and dimensions, Send and Cancel), or failed (why, and Dismiss). Nothing reaches the room before Send.
 * With a card focused, Enter sends it and Escape cancels it.
 */
import {
  isAttachmentMime,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENT_NAME_CHARS,
  MAX_DROPPED_URIS,
  type AttachmentView,
} from '../src/shared/attachment-messages';
import type { WebviewMessage } from '../src/shared/panel-messages';
import { h, replaceChildren } from './dom';
import { formatBytes } from './format';

/** What a file manager or VS Code's Explorer puts in a drag besides (or instead of) the files. */
const URI_LIST_TYPES = ['application/vnd.code.uri-list', 'text/uri-list'] as const;
const SUPPORTED_TEXT = 'PNG, JPEG, GIF, BMP, TIFF';

interface Card {
  element: HTMLLIElement;
  view: AttachmentView;
}

export class AttachmentTray {
  readonly element = h('div', { class: 'attachments', attrs: { id: 'attachments', hidden: true } });
  readonly #list = h('ul', { class: 'attachments__list', attrs: { 'aria-label': 'Images to send' } });
  /** Files refused before they were read (too large, not an image): said here, and to screen readers. */
  readonly #notice = h('p', { class: 'attachments__notice', attrs: { id: 'attachment-notice', role: 'alert', hidden: true } });
  readonly #cards = new Map<string, Card>();
  readonly #post: (message: WebviewMessage) => void;
  /** Where focus goes when the last card leaves (the composer). */
  readonly #done: () => void;
  #nextRequest = 1;

  constructor(post: (message: WebviewMessage) => void, done: () => void) {
    this.#post = post;
    this.#done = done;
    this.element.append(this.#notice, this.#list);
    this.#list.addEventListener('click', (event) => this.#listOnClick(event));
    this.#list.addEventListener('keydown', (event) => this.#listOnKeyDown(event));
  }

  /**
   * Reads each file the user pasted or dropped and hands its bytes to the host, refusing what cannot be an image. A
   * pasted image's name is the browser's invention ("image.png"): only a dropped file's name goes along, as a label.
   */
  attachFiles(files: readonly File[], source: 'paste' | 'drop'): void {
    const refused: string[] = [];
    for (const file of files) {
      const name = source === 'drop' ? file.name.slice(0, MAX_ATTACHMENT_NAME_CHARS) : '';
      const label = name || 'The pasted file';
      if (!isAttachmentMime(file.type)) {
        refused.push(`${label} is not an image UDP Chat can send (supported: ${SUPPORTED_TEXT}).`);
        continue;
      }
      if (file.size > MAX_ATTACHMENT_BYTES) {
        refused.push(`${label} is too large to send: ${mebibytes(file.size)} MB, more than the limit of ${mebibytes(MAX_ATTACHMENT_BYTES)} MB.`);
        continue;
      }
      const requestId = this.#nextRequest++;
      void file.arrayBuffer().then(
        (buffer) => this.#post({ type: 'attachImage', requestId, ...(name ? { name } : {}), mime: file.type, data: new Uint8Array(buffer) }),
        () => this.#say([`${label} could not be read.`]),
      );
    }
    this.#say(refused);
  }

  /** URIs dropped from the Explorer or a file manager: the host reads only `file:` ones. */
  attachUris(uris: readonly string[]): void {
    if (uris.length > MAX_DROPPED_URIS) {
      this.#say([`Drop at most ${MAX_DROPPED_URIS} images at once (this was ${uris.length}).`]);
      return;
    }
    this.#say([]);
    this.#post({ type: 'attachUris', requestId: this.#nextRequest++, uris: [...uris] });
  }

  /** A card the host made or changed. */
  show(view: AttachmentView): void {
    let card = this.#cards.get(view.id);
    const wasReady = card?.view.state === 'ready';
    if (card === undefined) {
      const element = h('li', { class: 'attachment', attrs: { 'data-attachment-id': view.id, tabindex: 0 } });
      card = { element, view };
      this.#cards.set(view.id, card);
      this.#list.append(element);
    }
    card.view = view;
    renderCard(card.element, view);
    this.#updateHidden();
    // A preview that just became ready takes the focus from the composer (where the paste was), so Enter sends it.
    if (view.state === 'ready' && !wasReady && (isComposerFocused() || document.activeElement === document.body)) card.element.focus();
  }

  /** The host sent or dropped it. */
  gone(id: string): void {
    const card = this.#cards.get(id);
    if (card === undefined) return;
    const hadFocus = card.element.contains(document.activeElement);
    card.element.remove();
    this.#cards.delete(id);
    this.#updateHidden();
    if (!hadFocus) return;
    const next = this.#list.querySelector<HTMLElement>('.attachment');
    if (next !== null) next.focus();
    else this.#done();
  }

  #listOnClick(event: MouseEvent): void {
    const button = (event.target as Element).closest<HTMLElement>('[data-action]');
    const id = button?.closest<HTMLElement>('.attachment')?.dataset.attachmentId;
    if (button === null || button === undefined || id === undefined) return;
    if (button.dataset.action === 'send') this.#send(id);
    else this.#post({ type: 'cancelAttachment', id });
  }

  #listOnKeyDown(event: KeyboardEvent): void {
    const element = event.target as HTMLElement;
    const id = element.dataset.attachmentId;
    // Only on the card itself: its buttons keep their own Enter and Space.
    if (id === undefined || !element.classList.contains('attachment')) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      this.#post({ type: 'cancelAttachment', id });
    } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.#send(id);
    }
  }

  #send(id: string): void {
    if (this.#cards.get(id)?.view.state !== 'ready') return;
    this.#post({ type: 'sendAttachment', id });
  }

  #say(lines: readonly string[]): void {
    this.#notice.textContent = lines.join(' ');
    this.#notice.hidden = lines.length === 0;
    this.#updateHidden();
  }

  #updateHidden(): void {
    this.element.hidden = this.#cards.size === 0 && this.#notice.hidden;
  }
}

function renderCard(element: HTMLLIElement, view: AttachmentView): void {
  element.dataset.state = view.state;
  const size = view.width !== undefined && view.height !== undefined ? `${view.width} × ${view.height}` : undefined;
  const meta =
    view.state === 'compressing'
      ? 'Compressing…'
      : view.state === 'failed'
        ? (view.error ?? 'This image cannot be sent.')
        : [size, view.bytes !== undefined ? formatBytes(view.bytes) : undefined].filter(Boolean).join(' · ');
  const description = view.state === 'ready' ? `${view.label}, ${meta}. Enter to send, Escape to cancel.` : `${view.label}: ${meta}`;
  element.setAttribute('aria-label', description);
  replaceChildren(element, [
    view.state === 'ready' && view.src !== undefined
      ? h('img', { class: 'attachment__image', attrs: { src: view.src, alt: `Preview of ${view.label}`, width: view.width, height: view.height } })
      : h('span', { class: 'attachment__placeholder', attrs: { 'aria-hidden': 'true' } }),
    h('span', { class: 'attachment__text' }, [
      h('span', { class: 'attachment__label' }, [view.label]),
      h('span', { class: `attachment__meta${view.state === 'failed' ? ' attachment__meta--error' : ''}` }, [meta]),
      view.state === 'ready' && view.error !== undefined ? h('span', { class: 'attachment__meta attachment__meta--error' }, [view.error]) : null,
    ]),
    h('span', { class: 'attachment__buttons' }, [
      view.state === 'ready' ? h('button', { class: 'attachment__send', attrs: { type: 'button', 'data-action': 'send', title: 'Send (Enter)' } }, ['Send']) : null,
      h('button', { class: 'attachment__cancel', attrs: { type: 'button', 'data-action': 'cancel', title: 'Cancel (Escape)' } }, [view.state === 'failed' ? 'Dismiss' : 'Cancel']),
    ]),
  ]);
}

function isComposerFocused(): boolean {
  return document.activeElement?.id === 'composer';
}

function mebibytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 10 ? mb.toFixed(0) : mb.toFixed(1);
}

/**
 * Lets images be dropped anywhere on the chat: files (from the desktop) are read and handed over; URIs (VS Code's
 * Explorer puts `application/vnd.code.uri-list`, file managers `text/uri-list`) go to the host, which reads only
 * `file:` ones. Other drags (text) are left to the browser.
 */
export function acceptDrops(target: HTMLElement, tray: AttachmentTray): void {
  const carriesFiles = (data: DataTransfer | null): boolean =>
    data !== null && [...data.types].some((type) => type === 'Files' || (URI_LIST_TYPES as readonly string[]).includes(type));
  target.addEventListener('dragover', function chatOnDragOver(event) {
    if (!carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy';
    target.classList.add('app--drop');
  });
  target.addEventListener('dragleave', function chatOnDragLeave(event) {
    if (event.relatedTarget === null || !target.contains(event.relatedTarget as Node)) target.classList.remove('app--drop');
  });
  target.addEventListener('drop', function chatOnDrop(event) {
    target.classList.remove('app--drop');
    const data = event.dataTransfer;
    if (!carriesFiles(data) || data === null) return;
    event.preventDefault();
    if (data.files.length > 0) {
      tray.attachFiles([...data.files], 'drop');
      return;
    }
    for (const type of URI_LIST_TYPES) {
      const uris = parseUriList(data.getData(type));
      if (uris.length > 0) {
        tray.attachUris(uris);
        return;
      }
    }
  });
}

/** RFC 2483's text/uri-list: one URI a line, `#` lines are comments. */
export function parseUriList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
