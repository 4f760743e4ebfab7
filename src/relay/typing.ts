/**
 * "Member is typing", relayed: a Typing from a member goes to every other validated member of its room as a
 * Typing naming it, signed for each, never queued, never acknowledged (a lost one is replaced by the next). Sealed
 * rooms too: it carries no content, only what the relay already knows (who sends it datagrams, and when).
 */
import { controlHeader } from '../protocol/codec';
import { PacketType } from '../protocol/types';
import type { Roster } from './roster';
import type { Session } from './sessions';

/**
 * Least time between two Typing the relay passes on for one member (ms). Clients send one per 3 s while their
 * user types; this bounds what a client that sends more costs the room (one datagram per member per second).
 */
export const TYPING_MIN_INTERVAL_MS = 1000;

/** Passes a member's Typing on to the rest of its room, or drops it (counted) when it came too soon. */
export function relayTyping(roster: Roster, session: Session, now: number): void {
  if (session.typingAt !== undefined && now - session.typingAt < TYPING_MIN_INTERVAL_MS) {
    roster.count('drop-typing-too-often');
    return;
  }
  session.typingAt = now;
  const { member } = session;
  for (const other of roster.membership.roomMembers(member.room)) {
    if (other === member) continue;
    const target = roster.sessions.get(other.id);
    // Legacy members have no keys (sendControl sends them nothing); a member not yet validated has not seen the room.
    if (!target?.validated) continue;
    roster.sendControl(target, { ...controlHeader(PacketType.Typing, other.id), body: { memberId: member.id } });
  }
  roster.count('typing-relayed');
}
