/**
 * The log's scroll position in the terms the conversation uses: the distance from the bottom, going to the bottom,
 * to a distance from it or to a row centred in view, the row the reader sees kept still while rows change above
 * it, and whether a scroll event was the reader moving up (not our own scrolling). It also keeps the live region
 * quiet while rows are rebuilt.
 */
export class LogScroll {
  readonly #log: HTMLElement;
  /** scrollTop at the previous scroll event or our own last scroll, to tell the reader's direction. */
  #lastTop = 0;

  constructor(log: HTMLElement) {
    this.#log = log;
  }

  /** Pixels scrolled from the top. */
  get top(): number {
    return this.#log.scrollTop;
  }

  /** Where the view's top edge is on screen (px), to find the first row the reader sees. */
  get viewTop(): number {
    return this.#log.getBoundingClientRect().top;
  }

  /** Pixels between the bottom of the view and the end of the log. */
  get fromBottom(): number {
    const log = this.#log;
    return Math.max(0, log.scrollHeight - log.scrollTop - log.clientHeight);
  }

  toBottom(): void {
    this.#log.scrollTop = this.#log.scrollHeight;
    this.#lastTop = this.#log.scrollTop;
  }

  /** Scrolls so that the bottom of the view is `fromBottom` px above the end of the log. */
  toDistanceFromBottom(fromBottom: number): void {
    this.#log.scrollTop = Math.max(0, this.#log.scrollHeight - this.#log.clientHeight - fromBottom);
    this.#lastTop = this.#log.scrollTop;
  }

  center(element: HTMLElement): void {
    const box = element.getBoundingClientRect();
    const view = this.#log.getBoundingClientRect();
    this.#log.scrollTop += box.top - view.top - Math.max(0, (view.height - box.height) / 2);
    this.#lastTop = this.#log.scrollTop;
  }

  /**
   * Notes where `anchor` (the first row the reader sees) is on screen; the function returned scrolls it back
   * there, if it is still in the log. No anchor: the function does nothing.
   */
  hold(anchor: HTMLElement | undefined): () => void {
    if (anchor === undefined) return () => {};
    const anchorTop = anchor.getBoundingClientRect().top;
    return () => {
      if (!anchor.isConnected) return;
      const moved = anchor.getBoundingClientRect().top - anchorTop;
      if (moved !== 0) {
        this.#log.scrollTop += moved;
        this.#lastTop = this.#log.scrollTop;
      }
    };
  }

  /** For each scroll event: true when the view moved up since the last event or our own last scroll. */
  movedUp(): boolean {
    const top = this.#log.scrollTop;
    const movedUp = top < this.#lastTop - 1;
    this.#lastTop = top;
    return movedUp;
  }

  /** A rebuilt slice is not news: keep screen readers from reading dozens of messages out. */
  quiet(): void {
    this.#log.setAttribute('aria-live', 'off');
    requestAnimationFrame(() => this.#log.setAttribute('aria-live', 'polite'));
  }
}
