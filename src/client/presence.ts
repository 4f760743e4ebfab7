/**
 * Presence: whether this member's window is in use ("active") or not ("away"), told to the room in unreliable
 * Presence datagrams. Pure (time comes in): it says when one is due. One goes out when the state changes, and again
 * when someone joins or we (re)connect, so that a newcomer learns it; never more often than the relay passes them
 * on (PRESENCE_INTERVAL_MS), a wanted one waits until then rather than being dropped by the relay.
 */

export type Presence = 'active' | 'away';

/** Least time between two Presence datagrams (ms): just above the relay's 1 s limit per member. */
export const PRESENCE_INTERVAL_MS = 1_100;

export class PresenceAnnouncer {
  #state: Presence | undefined;
  #lastSentAt = -Infinity;
  /** A Presence is wanted: sent as soon as the interval allows. */
  #wanted = false;

  get state(): Presence | undefined {
    return this.#state;
  }

  /** Our presence changed (or was first given). */
  set(state: Presence): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#wanted = true;
  }

  /** Someone joined, or we (re)connected: tell the room again. */
  again(): void {
    if (this.#state !== undefined) this.#wanted = true;
  }

  /** True when a Presence should go out at `now` (ms, monotonic). */
  due(now: number): boolean {
    return this.#wanted && this.#state !== undefined && now - this.#lastSentAt >= PRESENCE_INTERVAL_MS;
  }

  sent(now: number): void {
    this.#lastSentAt = now;
    this.#wanted = false;
  }

  /** When a wanted Presence may go out, or undefined when none is wanted. */
  nextWakeup(): number | undefined {
    return this.#wanted && this.#state !== undefined ? this.#lastSentAt + PRESENCE_INTERVAL_MS : undefined;
  }
}
