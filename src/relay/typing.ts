/**
 * "Member is typing" and "member is active / away", relayed: a Typing or Presence from a member goes to every
 * other validated member of its room, naming it, signed for each, never queued, never acknowledged (a lost one is
 * replaced by the next). Sealed rooms too: they carry no content, only what the relay already knows (who sends it
 * datagrams, and when) and whether the member's window is in use.
 */
import { controlHeader } from '../protocol/codec';
import { PacketType, type ControlPacket, type PresenceCode } from '../protocol/types';
import type { Roster } from './roster';
import type { Session } from './sessions';

/**
 * Least time between two Typing the relay passes on for one member (ms). Clients send one per 3 s while their
 * user types; this bounds what a client that sends more costs the room (one datagram per member per second).
 */
export const TYPING_MIN_INTERVAL_MS = 1000;
/** The same for Presence (ms): clients send one when their window's state changes and when someone joins. */
export const PRESENCE_MIN_INTERVAL_MS = 1000;

/** Passes a member's Typing on to the rest of its room, or drops it (counted) when it came too soon. */
export function relayTyping(roster: Roster, session: Session, now: number): void {
  if (tooSoon(session.typingAt, TYPING_MIN_INTERVAL_MS, now)) return roster.count('drop-typing-too-often');
  session.typingAt = now;
  toRoom(roster, session, (recipient, memberId) => ({ ...controlHeader(PacketType.Typing, recipient), body: { memberId } }));
  roster.count('typing-relayed');
}

/** Passes a member's Presence on to the rest of its room, or drops it (counted) when it came too soon. */
export function relayPresence(roster: Roster, session: Session, state: PresenceCode, now: number): void {
  if (tooSoon(session.presenceAt, PRESENCE_MIN_INTERVAL_MS, now)) return roster.count('drop-presence-too-often');
  session.presenceAt = now;
  toRoom(roster, session, (recipient, memberId) => ({ ...controlHeader(PacketType.Presence, recipient), body: { memberId, state } }));
  roster.count('presence-relayed');
}

function tooSoon(lastAt: number | undefined, minIntervalMs: number, now: number): boolean {
  return lastAt !== undefined && now - lastAt < minIntervalMs;
}

/** One datagram for each other member: `packet(recipient, sender)` names the recipient in its header. */
function toRoom(roster: Roster, session: Session, packet: (recipient: number, sender: number) => ControlPacket): void {
  const { member } = session;
  for (const other of roster.membership.roomMembers(member.room)) {
    if (other === member) continue;
    const target = roster.sessions.get(other.id);
    // Legacy members have no keys (sendControl sends them nothing); a member not yet validated has not seen the room.
    if (!target?.validated) continue;
    roster.sendControl(target, packet(other.id, member.id));
  }
}
