/**
 * The Leave that leave() sends, and the short wait for the relay to acknowledge it: the relay then drops the member
 * at once instead of after the member time-out. The wait ends with the acknowledgement, when the channel goes (a
 * rejoin), when the client closes, or after LEAVE_ACK_WAIT_MS.
 */
import { HEADER_BYTES } from '../protocol/constants';
import { encodePayload } from '../protocol/payload';
import type { ReliableChannel } from '../protocol/reliability';
import { LeaveReason, PacketType, type MessageFragment as Fragment } from '../protocol/types';
import type { Clock } from '../util/clock';
import { fragmentsOf } from './outbox';

/** How long leave() waits (ms) for the relay to acknowledge the Leave before closing anyway. */
const LEAVE_ACK_WAIT_MS = 1000;

export class LeaveWait {
  readonly #clock: Clock;
  #pending: { ticket: number; resolve(): void } | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Queues the Leave (urgent) on `channel` as message `messageId`. Returns the wait, or undefined when the channel
   * refused it (nothing to wait for).
   */
  send(channel: ReliableChannel<Fragment>, messageId: bigint, now: number): Promise<void> | undefined {
    const payload = encodePayload({ type: PacketType.Leave, reason: LeaveReason.Quit });
    const fragment = fragmentsOf(PacketType.Leave, payload, messageId)[0] as Fragment;
    const ticket = channel.send(fragment, HEADER_BYTES + fragment.chunk.length, 'urgent', now);
    if (ticket === undefined) return undefined;
    return new Promise<void>((resolve) => {
      const timer = this.#clock.setTimeout(() => this.#pending?.resolve(), LEAVE_ACK_WAIT_MS);
      this.#pending = {
        ticket,
        resolve: () => {
          this.#clock.clearTimeout(timer);
          this.#pending = undefined;
          resolve();
        },
      };
    });
  }

  /** True when `ticket` is the Leave's: the wait is over. */
  acknowledged(ticket: number): boolean {
    if (ticket !== this.#pending?.ticket) return false;
    this.#pending.resolve();
    return true;
  }

  /** Ends the wait (the Leave went with the old channel, or the client closed). */
  end(): void {
    this.#pending?.resolve();
  }
}
