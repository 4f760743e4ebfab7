/**
 * The legacy bridge: the classroom chat's plaintext clients in room `general`. What they send becomes ordinary
 * messages for the room; what the room sends becomes one plaintext datagram per text and a notice per image.
 * No socket and no clock: bytes, `now` and wall-clock time in; datagrams leave through the roster.
 */
import { DEFAULT_ROOM } from '../protocol/constants';
import { truncateUtf8 } from '../protocol/codec';
import { probeImage } from '../protocol/image-header';
import {
  formatLegacyImageNotice,
  formatLegacyJoin,
  formatLegacyLeave,
  formatLegacyText,
  MAX_LEGACY_TEXT_BYTES,
  type LegacyDatagram,
} from '../protocol/legacy';
import { parseLegacy } from '../protocol/legacy';
import { decodePayload, ImageFormat, type MessagePayload } from '../protocol/payload';
import { assertNever, Flag, LeaveReason, MemberFlag, PacketType, type MessageFragment as Fragment } from '../protocol/types';
import { judgeLegacyJoin } from './admission';
import { fragmentsOf, priorityOf, recipientsOf } from './fan-out';
import { MAX_LEGACY_PER_ADDRESS } from './limits';
import type { Member } from './membership';
import type { Roster } from './roster';
import { isLegacy, newSession, type InboundMessage } from './sessions';
import { sourceKeys } from './source-budget';

/** Legacy clients may only ever be in the default room. */
export const LEGACY_ROOM = DEFAULT_ROOM;

const encoder = new TextEncoder();

/** A text for legacy clients, as the datagram they read. */
export function legacyBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export const legacyJoinNotice = (name: string): Uint8Array => legacyBytes(formatLegacyJoin(name));
export const legacyLeaveNotice = (name: string): Uint8Array => legacyBytes(formatLegacyLeave(name));
export const legacyShutdownNotice = (): Uint8Array => legacyBytes('* the relay is shutting down');
/** Cut to `maxBytes`, at a character boundary. */
export const legacyRefusal = (why: string, maxBytes: number): Uint8Array => legacyBytes(truncateUtf8(`* cannot join: ${why}`, maxBytes));

export type FromLegacy =
  | { kind: 'message'; payload: MessagePayload; legacyText: string }
  | { kind: 'drop'; reason: 'drop-legacy-bad-image' };

/**
 * A legacy member's text or image as a message for the room (`sentAt` is the relay's wall clock: legacy
 * datagrams carry no time), plus the plaintext line the other legacy members see.
 */
export function messageFromLegacy(parsed: Extract<LegacyDatagram, { kind: 'text' | 'image' }>, sender: string, maxTextBytes: number, wallNow: number): FromLegacy {
  if (parsed.kind === 'text') {
    const text = truncateUtf8(parsed.text, maxTextBytes);
    return { kind: 'message', payload: { type: PacketType.Text, sentAt: wallNow, sender, text }, legacyText: formatLegacyText(sender, text) };
  }
  const probe = probeImage(parsed.jpeg);
  if (!probe || probe.format !== 'jpeg') return { kind: 'drop', reason: 'drop-legacy-bad-image' };
  const payload: MessagePayload = {
    type: PacketType.Image,
    sentAt: wallNow,
    sender,
    width: probe.width,
    height: probe.height,
    format: ImageFormat.Jpeg,
    data: parsed.jpeg,
  };
  return { kind: 'message', payload, legacyText: formatLegacyImageNotice(sender) };
}

export type ToLegacy =
  /** Nothing yet (more fragments to come) or nothing ever (sealed text). */
  | { kind: 'none' }
  | { kind: 'text'; text: string }
  | { kind: 'drop'; reason: 'drop-bad-payload-for-legacy' };

/**
 * What legacy members see of a member's message, fragment by fragment: a text once whole (its chunks are kept in
 * `inbound` until then), a notice for an image once its last fragment passes, nothing of a sealed text.
 */
export function legacyViewOf(inbound: InboundMessage, fragment: Fragment, sender: string): ToLegacy {
  const last = fragment.fragmentIndex === fragment.fragmentCount - 1;
  if (fragment.type === PacketType.Image) return last ? { kind: 'text', text: formatLegacyImageNotice(sender) } : { kind: 'none' };
  if (fragment.flags & Flag.Encrypted) return { kind: 'none' };
  inbound.legacyChunks ??= [];
  inbound.legacyChunks.push(fragment.chunk);
  if (!last) return { kind: 'none' };
  const payload = decodePayload(PacketType.Text, Buffer.concat(inbound.legacyChunks));
  if (!payload.ok || payload.value.type !== PacketType.Text) return { kind: 'drop', reason: 'drop-bad-payload-for-legacy' };
  // A reaction, edit or delete has no line in the classic protocol; a reply is a text.
  const kind = payload.value.kind;
  if (kind && kind.kind !== 'reply') return { kind: 'none' };
  return { kind: 'text', text: truncateUtf8(formatLegacyText(sender, payload.value.text), MAX_LEGACY_TEXT_BYTES) };
}

/** Legacy clients as members of the roster: joined by their first line, evicted after a long silence. */
export class LegacyBridge {
  readonly #roster: Roster;
  readonly #maxTextBytes: number;

  constructor(roster: Roster, maxTextBytes: number) {
    this.#roster = roster;
    this.#maxTextBytes = maxTextBytes;
  }

  /** A datagram without our magic from `host:port`. */
  receive(datagram: Uint8Array, host: string, port: number, now: number, wallNow: number): void {
    const roster = this.#roster;
    const known = roster.membership.getByAddress(host, port);
    if (known && !isLegacy(known)) {
      roster.count('drop-not-udpchat');
      return;
    }
    // Every datagram from a legacy member earns it what it may be sent back: three times its size.
    if (known) roster.legacyCredit.earn(known.id, datagram.length);
    const parsed = parseLegacy(datagram, known?.name);
    if (!parsed) {
      roster.count('drop-legacy-unparsed');
      return;
    }
    let member = known;
    if (!member) {
      if (parsed.kind === 'leave') return;
      member = this.#join(parsed.name, host, port, now);
      if (!member) return;
      roster.legacyCredit.earn(member.id, datagram.length);
    }
    roster.membership.touch(member, now);
    switch (parsed.kind) {
      case 'join':
        return;
      case 'leave':
        roster.endSession(member, LeaveReason.Quit, now);
        return;
      case 'text':
      case 'image': {
        const message = messageFromLegacy(parsed, member.name, this.#maxTextBytes, wallNow);
        if (message.kind === 'drop') return roster.count(message.reason);
        this.#broadcast(member, message.payload, message.legacyText, now);
        return;
      }
      default:
        assertNever(parsed, 'legacy datagram');
    }
  }

  /** What the legacy members of a sender's room see of one of its fragments. */
  forward(sender: Member, inbound: InboundMessage, fragment: Fragment): void {
    const view = legacyViewOf(inbound, fragment, sender.name);
    if (view.kind === 'text') this.sendText(sender, view.text);
    else if (view.kind === 'drop') this.#roster.count(view.reason);
  }

  /** A line for every legacy member of `from`'s room but `from`, each within its credit. */
  sendText(from: Member, text: string): void {
    const bytes = legacyBytes(text);
    for (const recipient of this.#roster.membership.roomMembers(from.room)) {
      if (recipient !== from && isLegacy(recipient)) this.#roster.transmitToLegacy(recipient, bytes);
    }
  }

  #join(rawName: string, host: string, port: number, now: number): Member | undefined {
    const roster = this.#roster;
    const refuse = (why: string): undefined => {
      // Never larger than the line that asked (RFC 9000 §8): the address is not validated.
      const refusal = legacyRefusal(why, roster.replyLimit);
      if (refusal.length > 0 && roster.mayReply(host, port, now)) roster.transmit(refusal, host, port);
      return undefined;
    };
    const verdict = judgeLegacyJoin(rawName, roster);
    if (verdict.kind === 'refuse') return refuse(verdict.message);
    const source = sourceKeys(host).address;
    const fromHere = roster.membership.roomMembers(LEGACY_ROOM).filter((other) => isLegacy(other) && sourceKeys(other.host).address === source);
    if (fromHere.length >= MAX_LEGACY_PER_ADDRESS) {
      roster.count('legacy-refused-per-address');
      return refuse(`${MAX_LEGACY_PER_ADDRESS} classic clients already chat from this address`);
    }
    const outcome = roster.membership.join({ name: verdict.name, room: LEGACY_ROOM, host, port, flags: MemberFlag.Legacy }, now);
    if (outcome.kind === 'refused') return refuse(outcome.message);
    if (outcome.kind !== 'joined') return undefined;
    for (const displaced of outcome.displaced) roster.endSession(displaced, LeaveReason.Replaced, now);
    roster.roomKeys.bindIfFirst(LEGACY_ROOM, null, roster.membership);
    const session = newSession(outcome.member, undefined, now);
    session.announced = true;
    roster.sessions.set(session);
    roster.announceJoin(outcome.member, now);
    roster.log('info', `${outcome.member.name} joined room ${LEGACY_ROOM} from ${outcome.member.address} (legacy)`);
    return outcome.member;
  }

  #broadcast(from: Member, payload: MessagePayload, legacyText: string, now: number): void {
    const roster = this.#roster;
    const fragments = fragmentsOf(payload, from.id, roster.nextMessageId());
    const priority = priorityOf(payload.type);
    for (const recipient of recipientsOf(roster.membership.roomMembers(from.room), from).members) {
      const target = roster.sessions.get(recipient.id);
      if (target) for (const fragment of fragments) roster.enqueue(target, fragment, priority, now);
    }
    this.sendText(from, legacyText);
  }
}
