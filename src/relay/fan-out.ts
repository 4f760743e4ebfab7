/**
 * The fan-out plan: which member gets which fragment, with which priority, and whether a member's queue still has
 * room for it. Pure: fragments and `now` in, a plan or an outcome out; the core sends nothing from here.
 */
import { HEADER_BYTES, MAX_FRAGMENT_BYTES } from '../protocol/constants';
import { splitPayload } from '../protocol/fragment';
import { encodePayload, PAYLOAD_OVERHEAD_BYTES, type MessagePayload } from '../protocol/payload';
import type { Priority } from '../protocol/reliability';
import { Flag, PacketType, type MessageFragment as Fragment, type MessageType } from '../protocol/types';
import type { Member } from './membership';
import { MAX_INBOUND_PER_MEMBER, MEMBER_QUEUE_BYTES, type RelayLimits } from './limits';
import { isLegacy, releaseKept, type InboundMessage, type Session } from './sessions';

/** Images go behind texts and control messages, so a text is never stuck behind a 10 MB image. */
export function priorityOf(type: MessageType): Priority {
  return type === PacketType.Image ? 'bulk' : 'normal';
}

/** The largest payload (bytes, sealing and payload header included) a message of `type` may have. */
export function payloadLimit(type: MessageType, limits: RelayLimits): number {
  return (type === PacketType.Text ? limits.maxTextBytes : limits.maxImageBytes) + PAYLOAD_OVERHEAD_BYTES;
}

export type InboundVerdict =
  /** Forward this fragment. */
  | { kind: 'forward'; inbound: InboundMessage }
  /** The message is now known to be too large: tell the sender (once) and drop it. */
  | { kind: 'too-large'; inbound: InboundMessage }
  /** Part of a message already refused, or one message too many at once: drop quietly. */
  | { kind: 'drop'; reason: 'rejected' | 'too-many-inbound' };

/**
 * Accounts a fragment to the message it belongs to and judges it against the size limit. Every fragment but the
 * last is full, so the first one seen already tells the message's least possible size.
 */
export function admitFragment(session: Session, fragment: Fragment, limits: RelayLimits, now: number): InboundVerdict {
  let inbound = session.inbound.get(fragment.messageId);
  const limit = payloadLimit(fragment.type, limits);
  if (!inbound) {
    if (session.inbound.size >= MAX_INBOUND_PER_MEMBER) return { kind: 'drop', reason: 'too-many-inbound' };
    const leastBytes = (fragment.fragmentCount - 1) * Math.min(fragment.chunk.length, MAX_FRAGMENT_BYTES) + 1;
    inbound = { type: fragment.type, receivedBytes: 0, rejected: false, lastActivity: now, legacyChunks: undefined, storedChunks: undefined, storedBytes: 0 };
    session.inbound.set(fragment.messageId, inbound);
    if (leastBytes > limit) {
      inbound.rejected = true;
      return { kind: 'too-large', inbound };
    }
  }
  inbound.lastActivity = now;
  if (inbound.rejected) return { kind: 'drop', reason: 'rejected' };
  inbound.receivedBytes += fragment.chunk.length;
  if (inbound.receivedBytes > limit) {
    inbound.rejected = true;
    return { kind: 'too-large', inbound };
  }
  return { kind: 'forward', inbound };
}

/** Forgets the message once its last fragment has passed. */
export function finishFragment(session: Session, fragment: Fragment): void {
  if (fragment.fragmentIndex !== fragment.fragmentCount - 1) return;
  const inbound = session.inbound.get(fragment.messageId);
  if (inbound) releaseKept(session, inbound);
  session.inbound.delete(fragment.messageId);
}

/** The fragment as the room receives it: the sender's id as origin, only the flags that travel on. */
export function forwardedCopy(fragment: Fragment, senderId: number): Fragment {
  // Spelled out, not spread: this runs once per forwarded fragment.
  return {
    type: fragment.type,
    flags: fragment.flags & (Flag.Reliable | Flag.Encrypted),
    memberId: senderId,
    messageId: fragment.messageId,
    fragmentIndex: fragment.fragmentIndex,
    fragmentCount: fragment.fragmentCount,
    chunk: fragment.chunk,
  };
}

/** Who in the sender's room gets a message: members with sessions (fragments) and whether any legacy member does. */
export interface Recipients {
  members: Member[];
  legacy: boolean;
}

export function recipientsOf(roomMembers: readonly Member[], sender: Member): Recipients {
  const members: Member[] = [];
  let legacy = false;
  for (const recipient of roomMembers) {
    if (recipient === sender) continue;
    if (isLegacy(recipient)) legacy = true;
    else members.push(recipient);
  }
  return { members, legacy };
}

/** A relay-originated (or legacy-originated) payload as fragments; `memberId` is its origin (0: the relay). */
export function fragmentsOf(payload: MessagePayload, memberId: number, messageId: bigint): Fragment[] {
  const chunks = splitPayload(encodePayload(payload), MAX_FRAGMENT_BYTES);
  return chunks.map((chunk, index) => ({
    type: payload.type,
    flags: Flag.Reliable,
    memberId,
    messageId,
    fragmentIndex: index,
    fragmentCount: chunks.length,
    chunk,
  }));
}

export type EnqueueOutcome =
  /** Given to the member's channel. */
  | 'queued'
  /** Kept for the member's next channel (a session between channels). */
  | 'carried'
  /** Not for this member: it was not yet announced, so its view of the room starts with its member list. */
  | 'skipped'
  /** The member's queue is over its byte budget: it cannot keep up. */
  | 'queue-full'
  /** The channel just ran out of sequence numbers: kept for the member's next session, which it must start. */
  | 'exhausted';

/** Bytes a fragment costs in a member's queue: what goes on the wire for it. */
export function queuedBytesOf(fragment: Fragment): number {
  return HEADER_BYTES + fragment.chunk.length;
}

/** What became of a fragment, and its channel ticket when it was queued. */
export interface EnqueueResult {
  outcome: EnqueueOutcome;
  ticket: number | undefined;
}

/**
 * Queues a fragment for a member. A member between channels (resumed and not yet validated, exhausted, or
 * retired) keeps it for the next one, within the same byte budget as a channel's queue.
 */
export function enqueue(session: Session, fragment: Fragment, priority: Priority, now: number): EnqueueResult {
  const result = (outcome: EnqueueOutcome, ticket?: number): EnqueueResult => ({ outcome, ticket });
  const channel = session.channel;
  if (!channel || session.exhaustedAt !== undefined) return result(carry(session, fragment, priority));
  const ticket = channel.send(fragment, queuedBytesOf(fragment), priority, now);
  if (ticket !== undefined) return result('queued', ticket);
  if (!channel.exhausted) return result('queue-full');
  session.exhaustedAt = now;
  return result(carry(session, fragment, priority) === 'queue-full' ? 'queue-full' : 'exhausted');
}

function carry(session: Session, fragment: Fragment, priority: Priority): EnqueueOutcome {
  if (!session.announced || !session.keys) return 'skipped';
  const bytes = queuedBytesOf(fragment);
  if (session.carriedBytes + bytes > MEMBER_QUEUE_BYTES) return 'queue-full';
  session.carriedOver.push({ ticket: 0, item: fragment, priority });
  session.carriedBytes += bytes;
  return 'carried';
}

/**
 * Retires a session whose exhausted channel has delivered what it held: anything it still has not (there is
 * nothing when it is drained) joins `carriedOver`, which waits for the session that takes this one over.
 */
export function retire(session: Session, now: number): void {
  const pending = session.channel?.unacknowledged() ?? [];
  session.channel = undefined;
  session.retiredAt = now;
  if (pending.length === 0) return;
  session.carriedOver = [...pending, ...session.carriedOver];
  session.carriedBytes = session.carriedOver.reduce((sum, entry) => sum + queuedBytesOf(entry.item), 0);
}
