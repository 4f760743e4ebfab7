/**
 * The `@` completion of the composer: typing `@` (at the start or after a space or punctuation) offers the room's
 * members whose name starts with (then contains) what follows; ArrowDown/ArrowUp move through them, Enter or Tab
 * puts `@name ` in place, Escape closes. A listbox of options (role="option", aria-selected) with the inner
 * textarea as its combobox; since the textarea sits in the toolkit's shadow root, where an id reference from it
 * cannot reach the list, the option in focus is also announced in a polite status line.
 */
import { h, replaceChildren } from './dom';
import type { ToolkitTextArea } from './toolkit';

/** Options shown at most: a long roster is narrowed by typing. */
const MAX_OPTIONS = 8;
/** `@` and what was typed after it, right before the caret; the `@` must not follow a letter or digit (mail@x). */
const TOKEN = /(?:^|[^\p{L}\p{N}\p{M}_])@([^\s@]{0,32})$/u;

export class MentionComplete {
  readonly element: HTMLElement;
  readonly #list = h('ul', { class: 'mentions__list', attrs: { id: 'mention-list', role: 'listbox', 'aria-label': 'Members to mention' } });
  readonly #status = h('span', { class: 'sr-only', attrs: { id: 'mention-status', role: 'status' } });
  readonly #input: ToolkitTextArea;
  #names: string[] = [];
  #options: string[] = [];
  #active = 0;
  /** Where the `@` of the token being completed is. */
  #start = -1;

  constructor(input: ToolkitTextArea) {
    this.#input = input;
    this.element = h('div', { class: 'mentions', attrs: { hidden: true } }, [this.#list, this.#status]);
    this.#list.addEventListener('mousedown', (event) => {
      // Picking with the mouse keeps the focus in the composer.
      event.preventDefault();
      const option = (event.target as Element).closest<HTMLElement>('[role="option"]');
      const index = option === null ? -1 : Number(option.dataset.index);
      if (index >= 0) this.#pick(index);
    });
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  /** The members one may mention (not oneself). */
  setNames(names: readonly string[]): void {
    this.#names = [...names];
    if (this.open) this.update();
  }

  /** Call after every input and caret move: opens, narrows or closes the list for the token at the caret. */
  update(): void {
    const caret = this.#input.caret();
    const before = this.#input.value.slice(0, caret);
    const token = TOKEN.exec(before);
    if (token === null) return this.close();
    const query = (token[1] ?? '').toLowerCase();
    const starts = this.#names.filter((name) => name.toLowerCase().startsWith(query));
    const contains = this.#names.filter((name) => !name.toLowerCase().startsWith(query) && name.toLowerCase().includes(query));
    const options = [...starts, ...contains].slice(0, MAX_OPTIONS);
    if (options.length === 0) return this.close();
    const previous = this.#options[this.#active];
    this.#options = options;
    this.#active = Math.max(0, previous === undefined ? 0 : options.indexOf(previous));
    this.#start = caret - (token[1] ?? '').length - 1;
    this.#render();
  }

  /** Handles the keys of an open list; true when the key was its (the composer must not act on it). */
  keydown(event: KeyboardEvent): boolean {
    if (!this.open) return false;
    switch (event.key) {
      case 'ArrowDown':
        this.#move(1);
        break;
      case 'ArrowUp':
        this.#move(-1);
        break;
      case 'Enter':
      case 'Tab':
        if (event.shiftKey) return false;
        this.#pick(this.#active);
        break;
      case 'Escape':
        this.close();
        break;
      default:
        return false;
    }
    event.preventDefault();
    event.stopPropagation();
    return true;
  }

  close(): void {
    if (!this.open) return;
    this.element.hidden = true;
    this.#options = [];
    this.#start = -1;
    this.#input.setControlAttributes({ 'aria-expanded': 'false', 'aria-activedescendant': undefined });
  }

  #move(step: number): void {
    const n = this.#options.length;
    this.#active = (this.#active + step + n) % n;
    this.#render();
  }

  #pick(index: number): void {
    const name = this.#options[index];
    if (name === undefined || this.#start < 0) return;
    this.#input.replaceRange(this.#start, this.#input.caret(), `@${name} `);
    this.close();
    this.#input.focus();
    this.#input.element.dispatchEvent(new Event('input', { bubbles: true }));
  }

  #render(): void {
    const items = this.#options.map((name, index) =>
      h(
        'li',
        {
          class: index === this.#active ? 'mentions__option mentions__option--active' : 'mentions__option',
          attrs: { id: `mention-option-${index}`, role: 'option', 'aria-selected': String(index === this.#active), 'data-index': index, 'data-name': name },
        },
        ['@', name],
      ),
    );
    replaceChildren(this.#list, items);
    this.element.hidden = false;
    this.#input.setControlAttributes({
      role: 'combobox',
      'aria-autocomplete': 'list',
      'aria-expanded': 'true',
      'aria-controls': 'mention-list',
      'aria-activedescendant': `mention-option-${this.#active}`,
    });
    this.#status.textContent = `${this.#options[this.#active]}, ${this.#active + 1} of ${this.#options.length}. Enter or Tab to mention, Escape to close.`;
  }
}
