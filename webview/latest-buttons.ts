/**
 * The two ways back to the newest messages, floating over the bottom of the conversation: "N new messages" while
 * the reader has scrolled up, and "Back to latest" while a jump window (a search hit) is shown.
 */
import { h, icon } from './dom';

export interface LatestButtonsActions {
  /** Scroll to the newest message already held. */
  newest(): void;
  /** Ask the host for the newest entries (leaving a jump window). */
  latest(): void;
  /** Go to the "New" divider: the first message that came while the reader was away. */
  firstNew(): void;
}

export class LatestButtons {
  readonly #jump: HTMLButtonElement;
  readonly #jumpLabel = h('span', {}, ['New messages']);
  readonly #back: HTMLButtonElement;
  readonly #backLabel = h('span', {}, ['Back to latest']);
  readonly #firstNew: HTMLButtonElement;

  constructor(actions: LatestButtonsActions) {
    this.#jump = h('button', { class: 'jump-latest', attrs: { type: 'button', hidden: true, id: 'jump-latest' } }, [
      this.#jumpLabel,
      icon('arrowDown'),
    ]);
    this.#jump.addEventListener('click', () => actions.newest());
    this.#back = h('button', { class: 'jump-latest', attrs: { type: 'button', hidden: true, id: 'back-to-latest' } }, [
      this.#backLabel,
      icon('arrowDown'),
    ]);
    this.#back.addEventListener('click', () => actions.latest());
    this.#firstNew = h('button', { class: 'jump-new', attrs: { type: 'button', hidden: true, id: 'jump-new', title: 'Go to the first message that came while you were away' } }, [
      icon('arrowDown', 'icon icon--up'),
      h('span', {}, ['Jump to first new']),
    ]);
    this.#firstNew.addEventListener('click', () => actions.firstNew());
  }

  get elements(): HTMLElement[] {
    return [this.#jump, this.#back, this.#firstNew];
  }

  /** `unread`: new messages not in view; `detached`: a jump window is shown; `newAbove`: the "New" divider is above the view. */
  update(unread: number, detached: boolean, newAbove = false): void {
    this.#firstNew.hidden = !newAbove;
    this.#jump.hidden = detached || unread === 0;
    this.#jumpLabel.textContent = unread === 1 ? '1 new message' : `${unread} new messages`;
    this.#back.hidden = !detached;
    this.#backLabel.textContent = unread === 0 ? 'Back to latest' : `Back to latest (${unread} new)`;
  }
}
