/**
 * The message composer: Enter sends, Shift+Enter breaks the line, nothing sends while an input method is composing.
 * Shows the UTF-8 size near and over the relay's limit, keeps the draft across reloads, and stays typeable while
 * the connection is down (the host queues what is sent meanwhile).
 */
import { MAX_COMPOSER_CHARS } from '../src/shared/panel-messages';
import { h, icon } from './dom';
import { formatCount, utf8Length } from './format';
import { createButton, createTextArea, type ToolkitTextArea } from './toolkit';

/** The counter appears from this share of the byte limit on. */
const COUNTER_FROM = 0.8;
const MIN_ROWS = 2;
const MAX_ROWS = 10;
/** Average width of a character of the UI font (px), to guess soft-wrapped lines for the height. */
const AVERAGE_CHAR_PX = 7;
/** Draft writes to VS Code's webview state at most this often (ms). */
const DRAFT_SAVE_DELAY_MS = 250;

export interface ComposerActions {
  send(text: string): void;
  pickImage(): void;
  draftChanged(draft: string): void;
}

export type ComposerMode = 'online' | 'offline' | 'not-joined';

export class Composer {
  readonly element: HTMLElement;
  readonly #input: ToolkitTextArea;
  readonly #counter = h('span', { class: 'composer__counter', attrs: { id: 'composer-counter', hidden: true } });
  readonly #notice = h('span', { class: 'composer__notice', attrs: { id: 'composer-notice' } });
  /** Announces a refused send (too long) to screen readers once, not on every keystroke. */
  readonly #status = h('span', { class: 'sr-only', attrs: { role: 'status' } });
  readonly #actions: ComposerActions;
  #maxBytes = 0;
  #draftTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(actions: ComposerActions, draft: string) {
    this.#actions = actions;
    this.#input = createTextArea({ id: 'composer', label: 'Message', placeholder: 'Message', rows: MIN_ROWS });
    const send = createButton({
      id: 'send',
      label: 'Send',
      appearance: 'primary',
      title: 'Send (Enter)',
      icon: icon('send'),
      onClick: () => {
        this.submit();
        this.focus();
      },
    });
    const pick = createButton({
      id: 'pick-image',
      label: 'Image…',
      appearance: 'secondary',
      title: 'Share an image from a file',
      icon: icon('image'),
      onClick: actions.pickImage,
    });
    this.element = h('footer', { class: 'composer' }, [
      this.#input.element,
      h('div', { class: 'composer__bar' }, [
        h('span', { class: 'composer__hint' }, ['Enter to send · Shift+Enter for a new line']),
        this.#notice,
        this.#counter,
        h('span', { class: 'composer__buttons' }, [pick.element, send.element]),
      ]),
      this.#status,
    ]);
    this.#input.element.addEventListener('keydown', (event) => this.#inputOnKeyDown(event));
    this.#input.element.addEventListener('input', () => this.#inputOnInput());
    this.#input.value = draft;
  }

  /** Call once the composer is in the document. */
  mounted(): void {
    this.#input.mounted();
    this.#update();
  }

  focus(): void {
    this.#input.focus();
  }

  setMaxBytes(maxBytes: number): void {
    this.#maxBytes = maxBytes;
    this.#update();
  }

  setMode(mode: ComposerMode): void {
    this.element.classList.toggle('composer--offline', mode !== 'online');
    this.#input.setPlaceholder(
      mode === 'online'
        ? 'Message'
        : mode === 'offline'
          ? 'Not connected: messages wait and go out when the connection is back'
          : 'Join a room to send messages',
    );
    this.#notice.textContent = mode === 'offline' ? 'offline — messages are queued' : '';
  }

  /** Sends the draft if there is something to send and it fits; otherwise says why not. */
  submit(): void {
    const text = tidy(this.#input.value);
    if (text === '') return;
    if (this.#tooLong(text)) {
      this.#status.textContent = '';
      this.#status.textContent = `Message too long: ${this.#sizeText(text)}`;
      this.#counter.classList.add('composer__counter--shake');
      setTimeout(() => this.#counter.classList.remove('composer__counter--shake'), 400);
      return;
    }
    this.#actions.send(text);
    this.#input.value = '';
    this.#update();
    this.#saveDraftNow();
  }

  #inputOnKeyDown(event: KeyboardEvent): void {
    if (event.key !== 'Enter' || event.shiftKey) return;
    // keyCode 229: the key went to an input method (Chromium sends it for the Enter that commits a candidate).
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    this.submit();
  }

  #inputOnInput(): void {
    this.#update();
    if (this.#draftTimer !== undefined) clearTimeout(this.#draftTimer);
    this.#draftTimer = setTimeout(() => this.#saveDraftNow(), DRAFT_SAVE_DELAY_MS);
  }

  #saveDraftNow(): void {
    if (this.#draftTimer !== undefined) clearTimeout(this.#draftTimer);
    this.#draftTimer = undefined;
    this.#actions.draftChanged(this.#input.value);
  }

  #tooLong(text: string): boolean {
    return text.length > MAX_COMPOSER_CHARS || (this.#maxBytes > 0 && utf8Length(text) > this.#maxBytes);
  }

  #sizeText(text: string): string {
    return `${formatCount(utf8Length(text))} / ${formatCount(this.#maxBytes)} bytes`;
  }

  #update(): void {
    const value = this.#input.value;
    const bytes = utf8Length(value);
    const near = this.#maxBytes > 0 && bytes >= this.#maxBytes * COUNTER_FROM;
    const over = this.#tooLong(value);
    this.#counter.hidden = !near && !over;
    this.#counter.textContent = over ? `${this.#sizeText(value)} — too long` : near ? this.#sizeText(value) : '';
    this.#counter.classList.toggle('composer__counter--over', over);
    this.#input.element.classList.toggle('composer__input--over', over);
    this.#input.setRows(rowsFor(value, this.#input.element.clientWidth));
  }
}

/** Drops blank lines before and whitespace after the text; keeps indentation (code) and inner blank lines. */
function tidy(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
}

function rowsFor(value: string, widthPx: number): number {
  const columns = Math.max(20, Math.floor((widthPx - 16) / AVERAGE_CHAR_PX));
  let rows = 0;
  for (const line of value.split('\n')) {
    rows += Math.max(1, Math.ceil(line.length / columns));
    if (rows >= MAX_ROWS) return MAX_ROWS;
  }
  return Math.max(MIN_ROWS, rows);
}
