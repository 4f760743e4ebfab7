/**
 * The keyboard in the conversation: with the log focused, ArrowUp/ArrowDown (Home/End) move through the messages;
 * the message in focus shows its actions and puts its controls (quote, reactions, Reply, React, Edit, Delete) in
 * the tab order, every other row keeps them out of it. Escape goes back to the log. The reaction picker React
 * opens: ArrowLeft/ArrowRight through the emoji, Enter or a click picks, Escape closes.
 */
import { renderPicker } from './entry-extras';

const ROW = '.entry[data-entry-id]';
const CONTROLS = '.entry__quote, .reaction, .entry__action';

export class ConversationKeys {
  readonly #log: HTMLElement;
  #active: HTMLElement | undefined;
  #picker: { element: HTMLElement; anchor: HTMLElement } | undefined;

  constructor(log: HTMLElement) {
    this.#log = log;
    log.addEventListener('keydown', (event) => this.#logOnKeydown(event));
    log.addEventListener('focusin', (event) => this.#logOnFocusin(event));
  }

  /** Focuses the row of entry `id` if it is rendered. */
  focusRow(id: string): boolean {
    const row = this.#log.querySelector<HTMLElement>(`${ROW}[data-entry-id="${CSS.escape(id)}"]`);
    row?.focus();
    return row !== null;
  }

  /** Opens the emoji picker under the React button `anchor`; `pick` gets the emoji chosen. */
  openPicker(anchor: HTMLElement, pick: (emoji: string) => void): void {
    this.closePicker(false);
    const element = renderPicker();
    anchor.closest('.entry__row')?.after(element);
    const buttons = (): HTMLElement[] => [...element.querySelectorAll<HTMLElement>('.reaction-picker__emoji')];
    element.addEventListener('keydown', (event) => {
      const all = buttons();
      const at = all.indexOf(document.activeElement as HTMLElement);
      if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
        const next = all[(at + (event.key === 'ArrowRight' ? 1 : -1) + all.length) % all.length];
        for (const button of all) button.tabIndex = button === next ? 0 : -1;
        next?.focus();
      } else if (event.key === 'Escape') {
        this.closePicker(true);
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
    });
    element.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLElement>('.reaction-picker__emoji');
      if (button === null) return;
      event.stopPropagation();
      const emoji = button.dataset.emoji ?? '';
      this.closePicker(true);
      pick(emoji);
    });
    this.#picker = { element, anchor };
    buttons()[0]?.focus();
  }

  closePicker(refocus: boolean): void {
    const picker = this.#picker;
    if (picker === undefined) return;
    this.#picker = undefined;
    picker.element.remove();
    if (refocus && picker.anchor.isConnected) picker.anchor.focus();
  }

  #rows(): HTMLElement[] {
    return [...this.#log.querySelectorAll<HTMLElement>(ROW)];
  }

  #logOnKeydown(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    const onLog = target === this.#log;
    const row = target.matches(ROW) ? target : undefined;
    if (event.key === 'Escape' && !onLog && target.closest(ROW) !== null) {
      event.preventDefault();
      this.#log.focus();
      return;
    }
    if (!onLog && row === undefined) return;
    const rows = this.#rows();
    if (rows.length === 0) return;
    const at = row === undefined ? rows.length : rows.indexOf(row);
    let next: HTMLElement | undefined;
    if (event.key === 'ArrowUp') next = rows[Math.max(0, at - 1)];
    else if (event.key === 'ArrowDown') next = row === undefined ? undefined : rows[Math.min(rows.length - 1, at + 1)];
    else if (event.key === 'Home') next = rows[0];
    else if (event.key === 'End') next = rows[rows.length - 1];
    if (next === undefined) return;
    event.preventDefault();
    next.focus();
    next.scrollIntoView({ block: 'nearest' });
  }

  #logOnFocusin(event: FocusEvent): void {
    const row = (event.target as Element).closest<HTMLElement>(ROW) ?? undefined;
    if (row === this.#active) return;
    if (this.#active !== undefined) {
      this.#active.classList.remove('entry--active');
      for (const control of this.#active.querySelectorAll<HTMLElement>(CONTROLS)) control.tabIndex = -1;
    }
    this.#active = row;
    if (row === undefined) return;
    row.classList.add('entry--active');
    for (const control of row.querySelectorAll<HTMLElement>(CONTROLS)) control.tabIndex = 0;
  }
}
