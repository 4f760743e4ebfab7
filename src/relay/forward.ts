/**
 * A member's text or image fragment, on its way to the room: checked (sealed as the room is, no relay trailer, not
 * over the limit), kept for history and numbered at its last fragment, then queued for every other member (with
 * its number, on the last fragment) and bridged to legacy members. Pure, like the core that calls it.
 */
import { MAX_FRAGMENT_BYTES } from '../protocol/constants';
import { assertNever, ErrorCode, Flag, PacketType, type MessageFragment as Fragment } from '../protocol/types';
import { admitFragment, finishFragment, forwardedCopy, priorityOf, recipientsOf } from './fan-out';
import { numberedCopy } from './history';
import type { HistoryDesk } from './history-desk';
import type { LegacyBridge } from './legacy-bridge';
import type { RelayLimits } from './limits';
import type { Roster } from './roster';
import type { Session } from './sessions';

export class Forwarder {
  readonly #roster: Roster;
  readonly #limits: RelayLimits;
  readonly #legacy: LegacyBridge | undefined;
  readonly #history: HistoryDesk;

  constructor(roster: Roster, limits: RelayLimits, legacy: LegacyBridge | undefined, history: HistoryDesk) {
    this.#roster = roster;
    this.#limits = limits;
    this.#legacy = legacy;
    this.#history = history;
  }

  /** `wallNow` (ms since the epoch) stamps what is stored. */
  forward(session: Session, fragment: Fragment, now: number, wallNow: number): void {
    const roster = this.#roster;
    const sender = session.member;
    if (fragment.flags & Flag.Numbered || fragment.chunk.length > MAX_FRAGMENT_BYTES) {
      // Only the relay numbers messages, and its trailer must still fit the datagram.
      roster.count('drop-bad-fragment');
      return;
    }
    const sealedRoom = roster.roomKeys.sealed(sender.room);
    if (sealedRoom !== ((fragment.flags & Flag.Encrypted) !== 0)) {
      // Plaintext in a sealed room (or the reverse) would reach members who cannot tell it from the real thing.
      roster.count(sealedRoom ? 'drop-plaintext-in-sealed-room' : 'drop-sealed-in-open-room');
      return;
    }
    const verdict = admitFragment(session, fragment, this.#limits, now);
    switch (verdict.kind) {
      case 'drop':
        if (verdict.reason === 'too-many-inbound') roster.count('drop-too-many-inbound');
        else finishFragment(session, fragment);
        return;
      case 'too-large':
        this.#rejectTooLarge(session, fragment, now);
        finishFragment(session, fragment);
        return;
      case 'forward':
        break;
      default:
        assertNever(verdict, 'fragment verdict');
    }
    this.#history.keep(session, verdict.inbound, fragment);
    const last = fragment.fragmentIndex === fragment.fragmentCount - 1;
    const roomSeq = last ? this.#history.number(session, fragment, verdict.inbound, wallNow) : undefined;
    const outgoing = forwardedCopy(fragment, sender.id);
    const priority = priorityOf(fragment.type);
    const recipients = recipientsOf(roster.membership.roomMembers(sender.room), sender);
    for (const recipient of recipients.members) {
      const target = roster.sessions.get(recipient.id);
      if (!target) continue;
      if (roomSeq === undefined || !target.announced) {
        roster.enqueue(target, outgoing, priority, now);
        continue;
      }
      roster.enqueue(target, numberedCopy(outgoing, roomSeq, target.lastNumbered), priority, now);
      target.lastNumbered = roomSeq;
    }
    if (recipients.legacy) this.#legacy?.forward(sender, verdict.inbound, fragment);
    finishFragment(session, fragment);
  }

  #rejectTooLarge(session: Session, fragment: Fragment, now: number): void {
    this.#roster.count('reject-too-large');
    const text = fragment.type === PacketType.Text;
    const limit = text ? this.#limits.maxTextBytes : this.#limits.maxImageBytes;
    const message = `the ${text ? 'text' : 'image'} is larger than this relay's limit of ${limit} bytes`;
    this.#roster.sendTo(session, { type: PacketType.Notice, code: ErrorCode.TooLarge, message }, 'urgent', now, fragment.messageId);
  }
}
