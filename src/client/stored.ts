/**
 * A stored message the relay sent from its history (PacketType.Stored), turned into the `message` or `image` it
 * was: opened with the room's key and checked against the member key stored with it (signed by that sender), but
 * never through the live replay windows (history is old by nature, and must not move them). Pure.
 */
import { formatMessageId } from '../protocol/ids';
import { nameKey } from '../protocol/names';
import { decodePayload, type PayloadOf } from '../protocol/payload';
import type { ContentOpener } from '../protocol/room-crypto';
import { PacketType } from '../protocol/types';
import type { InboundAction } from './inbound';
import type { ChatImage, ChatText } from './types';

/** `senderKey`: the sender as storedSenderKey names it (who may edit or delete the message). */
export type StoredOutcome =
  | { kind: 'message'; message: ChatText; senderKey: string }
  | { kind: 'image'; image: ChatImage; senderKey: string }
  /** A stored reaction, edit or delete (or an unknown kind), replayed after the messages it is about. */
  | { kind: 'action'; action: InboundAction }
  /** Not shown: why, for the log (the page still counts it as received). */
  | { kind: 'skipped'; reason: 'duplicate' | 'unreadable' | 'refused' | 'malformed' | 'too-large'; detail: string };

export interface StoredContext {
  /** The room's opener in a sealed room; undefined in an open one. */
  opener: ContentOpener | undefined;
  /** Largest image accepted, in pixels. */
  maxPixels: number;
  /** The dedupe key of (sender, id) has been seen (live or in history); remembers it when not. */
  seenBefore(senderKey: string, messageId: bigint): boolean;
}

/** The dedupe key of a stored message's sender: its member key in a sealed room, else its name, as live ones. */
export function storedSenderKey(stored: PayloadOf<typeof PacketType.Stored>, sealed: boolean): string {
  return sealed && stored.memberKey ? `k:${Buffer.from(stored.memberKey).toString('hex')}` : `n:${nameKey(stored.from)}`;
}

export function openStored(stored: PayloadOf<typeof PacketType.Stored>, encrypted: boolean, context: StoredContext): StoredOutcome {
  const { opener } = context;
  let plain = stored.payload;
  if (opener) {
    if (!encrypted) return { kind: 'skipped', reason: 'unreadable', detail: 'an unencrypted stored message in an encrypted room' };
    const opened = opener.open(stored.storedType, stored.messageId, stored.payload, stored.memberKey, { live: false });
    if (!opened.ok) return { kind: 'skipped', reason: opened.reason === 'unverified' ? 'refused' : opened.reason === 'forged' ? 'unreadable' : 'malformed', detail: `a stored message did not open (${opened.reason})` };
    plain = opened.plaintext;
  } else if (encrypted) {
    return { kind: 'skipped', reason: 'unreadable', detail: 'a stored message is end-to-end encrypted; join with the passphrase to read it' };
  }
  const decoded = decodePayload(stored.storedType, plain);
  if (!decoded.ok) return { kind: 'skipped', reason: 'malformed', detail: `a stored message is malformed: ${decoded.error.message}` };
  const payload = decoded.value;
  if (payload.type !== PacketType.Text && payload.type !== PacketType.Image) return { kind: 'skipped', reason: 'malformed', detail: 'a stored message of another type' };
  if (nameKey(payload.sender) !== nameKey(stored.from)) {
    // The relay's record of who sent it and the (sealed) sender name disagree.
    return { kind: 'skipped', reason: 'refused', detail: `a stored message from ${stored.from} claims to be from ${payload.sender}` };
  }
  const senderKey = storedSenderKey(stored, opener !== undefined);
  if (context.seenBefore(senderKey, stored.messageId)) {
    return { kind: 'skipped', reason: 'duplicate', detail: 'a stored message already shown' };
  }
  const common = {
    id: formatMessageId(stored.messageId),
    from: stored.from,
    fromId: 0,
    // The sender's own time, as the message showed live (the CLI's "original ts"); the relay's beside it.
    sentAt: payload.sentAt,
    storedAt: stored.storedAt,
    encrypted,
    legacy: false,
    backlog: true,
    seq: stored.seq,
  };
  if (payload.type === PacketType.Text) {
    const kind = payload.kind;
    if (kind === undefined) return { kind: 'message', message: { ...common, text: payload.text }, senderKey };
    if (kind.kind === 'reply') return { kind: 'message', message: { ...common, text: payload.text, replyTo: formatMessageId(kind.target) }, senderKey };
    if (kind.kind === 'snippet') return { kind: 'message', message: { ...common, text: payload.text, snippet: kind.meta }, senderKey };
    const action: InboundAction = { what: kind, id: common.id, from: stored.from, fromId: 0, senderKey, sentAt: payload.sentAt, text: payload.text, backlog: true };
    return { kind: 'action', action };
  }
  if (payload.width * payload.height > context.maxPixels) {
    return { kind: 'skipped', reason: 'too-large', detail: `a stored image of ${payload.width}×${payload.height} pixels` };
  }
  return { kind: 'image', image: { ...common, data: payload.data, width: payload.width, height: payload.height, format: payload.format }, senderKey };
}
