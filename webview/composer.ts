/**
 * The message composer: Enter sends, Shift+Enter breaks the line, nothing sends while an input method is composing.
 * Shows the UTF-8 size near and over the relay's limit, keeps the draft across reloads, and stays typeable while
 * the connection is down (the host queues what is sent meanwhile).
 */
import { MAX_COMPOSER_CHARS } from '../src/shared/panel-messages';
import { fenceAt, wrapInFence } from './code-fence';
import { composerOnPaste } from './composer-paste';
import { h, icon, replaceChildren } from './dom';
import { MentionComplete } from './mention-complete';
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
/** "I am typing" goes to the host at most this often (ms); the client sends at most one every 3 s anyway. */
const TYPING_SIGNAL_MS = 2000;

export interface ComposerActions {
  send(text: string, replyTo?: string): void;
  edit(id: string, text: string): void;
  typing(): void;
  pickImage(): void;
  /** Image files pasted into the composer (the attachment tray previews them). */
  attachFiles(files: File[]): void;
  draftChanged(draft: string): void;
}

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform);
/** Ctrl+Shift+K (Cmd+Shift+K): VS Code binds it only in a text editor (Delete Line), never in a webview. */
const CODE_BLOCK_KEY = IS_MAC ? '⇧⌘K' : 'Ctrl+Shift+K';
const SEND_ANYWAY_KEY = IS_MAC ? '⌘Enter' : 'Ctrl+Enter';
const HINT = `Enter to send · Shift+Enter for a new line · ${CODE_BLOCK_KEY} for a code block`;
const HINT_IN_FENCE = `In a code block: Enter for a new line · ${SEND_ANYWAY_KEY} to send`;

/** The message a reply answers or an edit changes, as the bar above the composer names it. */
export interface ComposerTarget {
  id: string;
  from: string;
  excerpt: string;
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
  readonly #mentions: MentionComplete;
  /** "Replying to …" / "Editing your message", with a way out. */
  readonly #bar = h('div', { class: 'composer__target', attrs: { id: 'composer-target', hidden: true } });
  readonly #typing = h('div', { class: 'composer__typing', attrs: { id: 'typing', 'aria-live': 'polite' } });
  readonly #hint = h('span', { class: 'composer__hint', attrs: { id: 'composer-hint' } }, [HINT]);
  #maxBytes = 0;
  #draftTimer: ReturnType<typeof setTimeout> | undefined;
  #lastTypingAt = -Infinity;
  #mode: { kind: 'reply' | 'edit'; target: ComposerTarget } | undefined;
  /** The draft before an edit took the composer, given back when the edit ends. */
  #draftBeforeEdit = '';

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
    const codeBlock = createButton({
      id: 'code-block',
      label: 'Code',
      appearance: 'secondary',
      title: `Code block (${CODE_BLOCK_KEY}): wraps the selection in \`\`\` fences`,
      onClick: () => {
        this.insertCodeBlock();
        this.focus();
      },
    });
    this.#mentions = new MentionComplete(this.#input);
    this.element = h('footer', { class: 'composer' }, [
      this.#typing,
      this.#mentions.element,
      this.#bar,
      this.#input.element,
      h('div', { class: 'composer__bar' }, [
        this.#hint,
        this.#notice,
        this.#counter,
        h('span', { class: 'composer__buttons' }, [codeBlock.element, pick.element, send.element]),
      ]),
      this.#status,
    ]);
    this.#input.element.addEventListener('keydown', (event) => this.#inputOnKeyDown(event));
    this.#input.element.addEventListener('input', () => this.#inputOnInput());
    this.#input.element.addEventListener('keyup', (event) => {
      if (event.key === 'ArrowLeft' || event.key === 'ArrowRight' || event.key === 'Home' || event.key === 'End') this.#mentions.update();
      this.#updateHint();
    });
    this.#input.element.addEventListener('click', () => this.#updateHint());
    this.#input.element.addEventListener('paste', (event) =>
      composerOnPaste(event, { input: this.#input, attachFiles: (files) => actions.attachFiles(files), changed: () => this.#inputOnInput() }),
    );
    this.#input.element.addEventListener('focusout', () => this.#mentions.close());
    this.#bar.addEventListener('click', (event) => {
      if ((event.target as Element).closest('.composer__cancel')) {
        this.cancelTarget();
        this.focus();
      }
    });
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

  /** Who `@` offers (the room's members but you). */
  setMembers(names: readonly string[]): void {
    this.#mentions.setNames(names);
  }

  /** Who is typing now. */
  setTyping(names: readonly string[]): void {
    this.#typing.textContent = typingLine(names);
  }

  /** The next message answers `target`: the bar quotes it, the composer takes focus. */
  startReply(target: ComposerTarget): void {
    if (this.#mode?.kind === 'edit') this.#endEdit();
    this.#mode = { kind: 'reply', target };
    this.#renderBar(`Replying to ${target.from}`, target.excerpt);
    this.#announce(`Replying to ${target.from}. Escape to cancel.`);
    this.focus();
  }

  /** The composer edits a message of yours: its text in the composer, Enter saves, Escape cancels. */
  startEdit(target: ComposerTarget, text: string): void {
    if (this.#mode?.kind !== 'edit') this.#draftBeforeEdit = this.#input.value;
    this.#mode = { kind: 'edit', target };
    this.#renderBar('Editing your message', target.excerpt);
    this.#input.value = text;
    this.#update();
    this.#announce('Editing your message. Enter to save, Escape to cancel.');
    this.focus();
  }

  /** Wraps the selection in a fenced code block (or inserts an empty one) with the caret inside. */
  insertCodeBlock(): void {
    const { start, end } = this.#input.selection();
    const edit = wrapInFence(this.#input.value, start, end);
    this.#input.setText(edit.value, edit.selectionStart, edit.selectionEnd);
    this.#inputOnInput();
  }

  /** Ends a reply or an edit without sending. */
  cancelTarget(): void {
    if (this.#mode === undefined) return;
    if (this.#mode.kind === 'edit') this.#endEdit();
    this.#mode = undefined;
    this.#bar.hidden = true;
    this.#announce('Cancelled.');
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
    const mode = this.#mode;
    if (mode?.kind === 'edit') {
      this.#actions.edit(mode.target.id, text);
      this.#mode = undefined;
      this.#bar.hidden = true;
      this.#input.value = this.#draftBeforeEdit;
      this.#draftBeforeEdit = '';
      this.#update();
      return;
    }
    this.#actions.send(text, mode?.target.id);
    this.#mode = undefined;
    this.#bar.hidden = true;
    this.#input.value = '';
    this.#update();
    this.#saveDraftNow();
  }

  #endEdit(): void {
    this.#input.value = this.#draftBeforeEdit;
    this.#draftBeforeEdit = '';
    this.#update();
  }

  #renderBar(title: string, excerpt: string): void {
    replaceChildren(this.#bar, [
      h('span', { class: 'composer__target-title' }, [title]),
      h('span', { class: 'composer__target-excerpt' }, [excerpt]),
      h('button', { class: 'composer__cancel', attrs: { type: 'button', title: 'Cancel (Escape)', 'aria-label': 'Cancel' } }, [icon('close')]),
    ]);
    this.#bar.dataset.kind = this.#mode?.kind;
    this.#bar.hidden = false;
  }

  #announce(text: string): void {
    this.#status.textContent = '';
    this.#status.textContent = text;
  }

  #inputOnKeyDown(event: KeyboardEvent): void {
    if (this.#mentions.keydown(event)) return;
    if (event.key === 'Escape' && this.#mode !== undefined) {
      event.preventDefault();
      event.stopPropagation();
      this.cancelTarget();
      return;
    }
    const command = IS_MAC ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
    if (command && event.shiftKey && !event.altKey && event.key.toLowerCase() === 'k') {
      event.preventDefault();
      this.insertCodeBlock();
      return;
    }
    if (event.key !== 'Enter' || event.shiftKey) return;
    // keyCode 229: the key went to an input method (Chromium sends it for the Enter that commits a candidate).
    if (event.isComposing || event.keyCode === 229) return;
    // Inside an open code block Enter breaks the line (the browser does it); Ctrl/Cmd+Enter sends anyway.
    if (!command && fenceAt(this.#input.value, this.#input.selection().start) !== undefined) return;
    event.preventDefault();
    this.submit();
  }

  #inputOnInput(): void {
    this.#update();
    this.#mentions.update();
    const now = performance.now();
    if (this.#mode?.kind !== 'edit' && this.#input.value.trim() !== '' && now - this.#lastTypingAt >= TYPING_SIGNAL_MS) {
      this.#lastTypingAt = now;
      this.#actions.typing();
    }
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
    this.#updateHint();
  }

  /** The hint says what Enter does where the caret is. */
  #updateHint(): void {
    const inFence = fenceAt(this.#input.value, this.#input.selection().start) !== undefined;
    const hint = inFence ? HINT_IN_FENCE : HINT;
    if (this.#hint.textContent !== hint) this.#hint.textContent = hint;
    this.#hint.dataset.fence = String(inFence);
  }
}

/** "bob is typing…", "bob and ann are typing…", "4 people are typing…"; '' when nobody is. */
export function typingLine(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
  return `${names.length} people are typing…`;
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
