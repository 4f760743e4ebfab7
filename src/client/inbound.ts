/**
 * What the relay sends us, from fragment to event: reassemble → verify the sender and open → decode → check the
 * sender's name → de-duplicate by (sender, id). Only an authenticated message is recorded as seen, so a member who
 * sends with another's message ids burns nothing but its own. Pure: time
 * comes in as an argument (ms, monotonic). Every text or image that will not become a `message`, `image` or
 * `action` ends in exactly one `dropped` (for the `incomingDropped` event), and so does an action of more than one
 * fragment (`not-a-message`), so every progress row opened for it can close.
 */
import { MAX_FRAGMENT_BYTES } from '../protocol/constants';
import { reassemblyCost, Reassembler, type PartialInfo, type ReassemblyResult } from '../protocol/fragment';
import { formatMessageId } from '../protocol/ids';
import { nameKey } from '../protocol/names';
import { decodePayload, PAYLOAD_OVERHEAD_BYTES, STORED_OVERHEAD_BYTES, type MemberInfo, type PayloadOf } from '../protocol/payload';
import type { ContentOpener } from '../protocol/room-crypto';
import type { TextKind } from '../protocol/text-kinds';
import { Flag, PacketType, type MessageFragment } from '../protocol/types';
import { MAX_IMAGE_BYTES } from './limits';
import type { Roster } from './roster';
import { openStored } from './stored';
import type { ChatImage, ChatProblem, ChatText, IncomingDropped, IncomingProgress } from './types';

/** (sender, message id) pairs remembered to drop duplicates (e.g. a message resent after the relay restarted). */
const REMEMBERED_MESSAGE_IDS = 10_000;
/** Dropped messages whose further fragments are ignored: without it each would start a partial that never completes. */
const REMEMBERED_DROPS = 1024;
/** Incoming progress is reported at most this many times per message. */
const PROGRESS_STEPS = 20;
/** "Wrong passphrase" is reported at most once per this many ms, however many messages fail to open. */
const WRONG_KEY_REPORT_INTERVAL_MS = 10_000;
/** Member lists and notices: far more than 4,096 members need (bytes). */
const MAX_CONTROL_PAYLOAD_BYTES = 1 << 20;
/** Partial messages held at once. */
const MAX_PENDING_MESSAGES = 256;
/** Bytes held for partial messages: two maximal images in flight at once, with their overhead, plus 1 MiB for texts. */
export const INBOUND_MAX_PENDING_BYTES =
  2 * reassemblyCost(MAX_IMAGE_BYTES + PAYLOAD_OVERHEAD_BYTES, Math.ceil((MAX_IMAGE_BYTES + PAYLOAD_OVERHEAD_BYTES) / MAX_FRAGMENT_BYTES)) + (1 << 20);
/** A sender that vanished mid-image (ms). */
export const DEFAULT_INCOMPLETE_AFTER_MS = 30_000;
/** Largest received image, megapixels: more than any camera, far less than what would exhaust memory decoding it. */
export const DEFAULT_MAX_IMAGE_MEGAPIXELS = 50;

/**
 * A reaction, edit or delete (or a kind this version does not know), authenticated like a text: who may apply it
 * is the action ledger's decision (actions.ts), which needs `senderKey` to compare with the message's sender.
 */
export interface InboundAction {
  what: Exclude<TextKind, { kind: 'reply' } | { kind: 'snippet' }>;
  /** The action's own message id. */
  id: string;
  from: string;
  fromId: number;
  /** The sender as de-duplication names it: member key in a sealed room, else name. */
  senderKey: string;
  /** The sender's clock, ms since the epoch. */
  sentAt: number;
  /** An edit's new text; empty for the others. */
  text: string;
  backlog?: boolean;
}

export type InboundEvent =
  | { kind: 'incoming'; progress: IncomingProgress }
  /** `senderKey`: the sender as InboundAction names it (who may edit or delete the message). */
  | { kind: 'message'; message: ChatText; senderKey: string }
  | { kind: 'image'; image: ChatImage; senderKey: string }
  | { kind: 'action'; action: InboundAction }
  | { kind: 'dropped'; drop: IncomingDropped }
  | { kind: 'problem'; problem: ChatProblem }
  | { kind: 'members'; members: MemberInfo[] }
  | { kind: 'memberJoined'; member: MemberInfo }
  | { kind: 'memberLeft'; member: MemberInfo; reason: number }
  | { kind: 'notice'; messageId: bigint; code: number; message: string }
  /** A live message's number in the room's history and the one the relay sent us before it (with Flag.Numbered). */
  | { kind: 'numbered'; seq: number; previousSeq: number }
  | { kind: 'historyEnd'; requestId: number; count: number; latestSeq: number; reachedSeq: number; complete: boolean };

export interface InboundOptions {
  room: string;
  roster: Roster;
  /** The relay's current limits (bytes). */
  maxTextBytes(): number;
  maxImageBytes(): number;
  maxImageMegapixels?: number;
  incompleteAfterMs?: number;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

type Reason = IncomingDropped['reason'];

export class InboundPipeline {
  readonly #options: InboundOptions;
  readonly #reassembler: Reassembler;
  readonly #maxPixels: number;
  readonly #seen = new Set<string>();
  readonly #dropped = new Set<string>();
  readonly #steps = new Map<string, number>();
  #opener: ContentOpener | undefined;
  #lastWrongKeyReportAt = -Infinity;

  constructor(options: InboundOptions) {
    this.#options = options;
    this.#maxPixels = (options.maxImageMegapixels ?? DEFAULT_MAX_IMAGE_MEGAPIXELS) * 1e6;
    this.#reassembler = new Reassembler({
      maxMessageBytes: (type) => {
        if (type === PacketType.Image) return options.maxImageBytes() + PAYLOAD_OVERHEAD_BYTES;
        if (type === PacketType.Text) return options.maxTextBytes() + PAYLOAD_OVERHEAD_BYTES;
        if (type === PacketType.Stored) return options.maxImageBytes() + PAYLOAD_OVERHEAD_BYTES + STORED_OVERHEAD_BYTES;
        return MAX_CONTROL_PAYLOAD_BYTES;
      },
      maxPendingBytes: INBOUND_MAX_PENDING_BYTES,
      maxPendingMessages: MAX_PENDING_MESSAGES,
      staleAfterMs: options.incompleteAfterMs ?? DEFAULT_INCOMPLETE_AFTER_MS,
    });
  }

  /** Bytes held for partial messages (see Reassembler.pendingBytes). */
  get pendingBytes(): number {
    return this.#reassembler.pendingBytes;
  }

  /** The room key: sealed messages are opened with it, unsealed ones refused. */
  setOpener(opener: ContentOpener): void {
    this.#opener = opener;
  }

  /** One fragment the channel delivered, in order. */
  receive(fragment: MessageFragment, now: number): InboundEvent[] {
    if (fragment.roomSeq === undefined) return this.#receive(fragment, now);
    // First, whatever becomes of the message: the chain of numbers counts what arrived, shown or not. The flag is
    // the last fragment's alone, so reassembly (which holds every fragment to the first one's flags) never sees it.
    const numbered: InboundEvent = { kind: 'numbered', seq: fragment.roomSeq, previousSeq: fragment.previousSeq ?? 0 };
    return [numbered, ...this.#receive({ ...fragment, flags: fragment.flags & ~Flag.Numbered }, now)];
  }

  /** A message this client sent (`senderKey` as #senderOf would name us): a copy in a history page is not shown. */
  rememberOwn(senderKey: string, messageId: bigint): void {
    remember(this.#seen, `${senderKey}:${messageId}`, REMEMBERED_MESSAGE_IDS);
  }

  #receive(fragment: MessageFragment, now: number): InboundEvent[] {
    const chat = isChat(fragment.type);
    const key = keyOf(fragment.memberId, fragment.messageId);
    if (chat && this.#dropped.has(key)) return [];
    // A copy its (proven) sender already delivered: dropped on arrival. Keyed by what the relay binds to the origin,
    // so nobody else's fragments can match.
    const sender = chat ? this.#senderOf(fragment.memberId) : undefined;
    if (sender && this.#seen.has(`${sender}:${fragment.messageId}`)) return this.#drop(fragment.memberId, fragment.messageId, 'duplicate');
    const result = this.#reassembler.add({ ...fragment, origin: fragment.memberId }, now);
    switch (result.status) {
      case 'duplicate':
        return [];
      case 'partial':
        return chat ? this.#progress(result.info) : [];
      case 'rejected':
        return this.#rejected(fragment, result);
      case 'complete':
        this.#steps.delete(key);
        return this.#complete(fragment, result.payload, now);
    }
  }

  /** Partial messages that stopped growing: dropped as incomplete. */
  expire(now: number): InboundEvent[] {
    return this.#reassembler.expire(now).flatMap((info) => this.#incomplete(info, 'incomplete', 'its sender stopped sending it'));
  }

  /** A member left: its partial messages will never complete. */
  dropOrigin(origin: number, name: string): InboundEvent[] {
    return this.#reassembler.dropOrigin(origin).flatMap((info) => this.#incomplete(info, 'incomplete', `${name} left`));
  }

  /** When `expire` next has work to do (ms), or undefined. */
  nextWakeup(): number | undefined {
    return this.#reassembler.nextExpiry();
  }

  #progress(info: PartialInfo): InboundEvent[] {
    const key = keyOf(info.origin, info.messageId);
    const step = Math.floor((info.receivedFragments * PROGRESS_STEPS) / info.fragmentCount);
    if (this.#steps.get(key) === step) return [];
    this.#steps.set(key, step);
    const progress: IncomingProgress = {
      id: formatMessageId(info.messageId),
      from: this.#options.roster.get(info.origin)?.name ?? 'someone',
      fromId: info.origin,
      kind: info.type === PacketType.Image ? 'image' : 'text',
      receivedFragments: info.receivedFragments,
      totalFragments: info.fragmentCount,
      receivedBytes: info.receivedBytes,
    };
    return [{ kind: 'incoming', progress }];
  }

  #rejected(fragment: MessageFragment, result: Extract<ReassemblyResult, { status: 'rejected' }>): InboundEvent[] {
    const reason: Reason = result.reason === 'too-large' ? 'too-large' : result.reason === 'inconsistent' ? 'malformed' : 'incomplete';
    const why = result.reason === 'too-large' ? 'it is larger than allowed' : result.reason === 'inconsistent' ? 'its parts do not fit together' : 'too much is arriving at once';
    if (result.info) return this.#incomplete(result.info, reason, why);
    return isChat(fragment.type) ? this.#drop(fragment.memberId, fragment.messageId, reason) : [];
  }

  /** A partial message dropped: the problem for the user, and the drop for its progress row. */
  #incomplete(info: PartialInfo, reason: Reason, why: string): InboundEvent[] {
    const from = this.#options.roster.get(info.origin)?.name ?? 'a member who left';
    const what = info.type === PacketType.Image ? 'an image' : 'a message';
    const problem: ChatProblem = {
      code: 'incomplete-message',
      message: `${what} from ${from} was dropped: ${why} (${info.receivedFragments} of ${info.fragmentCount} parts arrived)`,
      fatal: false,
      messageId: formatMessageId(info.messageId),
    };
    const events: InboundEvent[] = [{ kind: 'problem', problem }];
    if (isChat(info.type)) events.push(...this.#drop(info.origin, info.messageId, reason));
    return events;
  }

  #drop(origin: number, messageId: bigint, reason: Reason): InboundEvent[] {
    const key = keyOf(origin, messageId);
    this.#steps.delete(key);
    if (this.#dropped.has(key)) return [];
    remember(this.#dropped, key, REMEMBERED_DROPS);
    return [{ kind: 'dropped', drop: { id: formatMessageId(messageId), fromId: origin, reason } }];
  }

  #complete(fragment: MessageFragment, sealedOrPlain: Uint8Array, now: number): InboundEvent[] {
    const { memberId: origin, messageId } = fragment;
    const chat = isChat(fragment.type);
    let bytes = sealedOrPlain;
    const events: InboundEvent[] = [];
    if (chat) {
      const opened = this.#open(fragment, sealedOrPlain, now, events);
      if (opened === 'duplicate' || opened === 'unreadable' || opened === 'malformed' || opened === 'refused') {
        return [...events, ...this.#drop(origin, messageId, opened)];
      }
      bytes = opened;
    }
    const decoded = decodePayload(fragment.type, bytes);
    if (!decoded.ok) {
      this.#options.log('warn', `dropped a malformed ${fragment.type} payload: ${decoded.error.message}`);
      return chat ? this.#drop(origin, messageId, 'malformed') : [];
    }
    const payload = decoded.value;
    switch (payload.type) {
      case PacketType.MemberList:
        return [{ kind: 'members', members: payload.members }];
      case PacketType.MemberJoined:
        return [{ kind: 'memberJoined', member: payload.member }];
      case PacketType.MemberLeft:
        return [{ kind: 'memberLeft', member: payload.member, reason: payload.reason }];
      case PacketType.Notice:
        return [{ kind: 'notice', messageId, code: payload.code, message: payload.message }];
      case PacketType.Leave:
      case PacketType.HistoryRequest:
        return [];
      case PacketType.HistoryEnd:
        return [{ kind: 'historyEnd', requestId: payload.requestId, count: payload.count, latestSeq: payload.latestSeq, reachedSeq: payload.reachedSeq, complete: payload.complete }];
      case PacketType.Stored:
        return this.#stored(payload, (fragment.flags & Flag.Encrypted) !== 0);
      case PacketType.Text:
      case PacketType.Image:
        break;
    }
    const member = this.#options.roster.get(origin);
    if (member && !member.legacy && nameKey(member.name) !== nameKey(payload.sender)) {
      // The (sealed) sender name and the relay's binding disagree: someone is impersonating someone.
      this.#options.log('warn', `dropped a message from member ${origin} (${member.name}) that claims to be from ${payload.sender}`);
      return [...events, ...this.#drop(origin, messageId, 'refused')];
    }
    // De-duplicated only now that the sender is proven, so a forger burns no one else's ids.
    const sender = this.#senderOf(origin) ?? `n:${nameKey(payload.sender)}`;
    const seenKey = `${sender}:${messageId}`;
    if (this.#seen.has(seenKey)) return [...events, ...this.#drop(origin, messageId, 'duplicate')];
    remember(this.#seen, seenKey, REMEMBERED_MESSAGE_IDS);
    // The same sender's copies still being put together under another origin (it rejoined and resent) are not needed.
    const sameSender = (other: number): boolean => this.#senderOf(other) === sender;
    for (const info of this.#reassembler.dropMessage(messageId, sameSender)) events.push(...this.#drop(info.origin, messageId, 'duplicate'));
    const common = {
      id: formatMessageId(messageId),
      from: member?.name ?? payload.sender,
      fromId: origin,
      sentAt: payload.sentAt,
      encrypted: (fragment.flags & Flag.Encrypted) !== 0,
      legacy: member?.legacy ?? false,
      ...(fragment.roomSeq === undefined ? {} : { seq: fragment.roomSeq }),
    };
    if (payload.type === PacketType.Text) {
      const kind = payload.kind;
      if (kind === undefined) return [...events, { kind: 'message', message: { ...common, text: payload.text }, senderKey: sender }];
      if (kind.kind === 'reply') return [...events, { kind: 'message', message: { ...common, text: payload.text, replyTo: formatMessageId(kind.target) }, senderKey: sender }];
      if (kind.kind === 'snippet') return [...events, { kind: 'message', message: { ...common, text: payload.text, snippet: kind.meta }, senderKey: sender }];
      const action: InboundAction = { what: kind, id: common.id, from: common.from, fromId: origin, senderKey: sender, sentAt: payload.sentAt, text: payload.text };
      // Not a message: a progress row opened for its fragments closes (the action comes as its own event).
      const closing = fragment.fragmentCount > 1 ? this.#drop(origin, messageId, 'not-a-message') : [];
      return [...events, ...closing, { kind: 'action', action }];
    }
    if (payload.width * payload.height > this.#maxPixels) {
      const problem: ChatProblem = {
        code: 'too-large',
        message: `an image from ${common.from} was dropped: it declares ${payload.width}×${payload.height} pixels, more than the ${this.#maxPixels / 1e6} megapixels allowed`,
        fatal: false,
        messageId: common.id,
      };
      return [...events, { kind: 'problem', problem }, ...this.#drop(origin, messageId, 'too-large')];
    }
    const image: ChatImage = { ...common, data: payload.data, width: payload.width, height: payload.height, format: payload.format };
    return [...events, { kind: 'image', image, senderKey: sender }];
  }

  /** The plaintext of a text or image payload: opened when sealed, or why it is dropped (problems go to `events`). */
  #open(fragment: MessageFragment, payload: Uint8Array, now: number, events: InboundEvent[]): Uint8Array | 'duplicate' | 'unreadable' | 'malformed' | 'refused' {
    const sealed = (fragment.flags & Flag.Encrypted) !== 0;
    const room = this.#options.room;
    if (!this.#opener) {
      if (!sealed) return payload;
      this.#reportUnreadable(`a message in room "${room}" is end-to-end encrypted; join with its passphrase to read it`, now, events);
      return 'unreadable';
    }
    if (!sealed) {
      this.#options.log('warn', 'dropped an unencrypted message in an encrypted room');
      return 'unreadable';
    }
    const opened = this.#opener.open(fragment.type, fragment.messageId, payload, this.#options.roster.signingKey(fragment.memberId));
    if (opened.ok) return opened.plaintext;
    switch (opened.reason) {
      case 'unverified': {
        // Not signed by the member key of the member it comes from: shown under nobody's name.
        const claimed = this.#options.roster.get(fragment.memberId)?.name;
        this.#options.log('warn', `dropped a sealed message from member ${fragment.memberId}${claimed ? ` (${claimed})` : ''} whose sender could not be verified`);
        return 'refused';
      }
      case 'replayed':
        this.#options.log('debug', 'dropped a replayed sealed message');
        return 'duplicate';
      case 'malformed':
        this.#options.log('warn', 'dropped a sealed message too short to open');
        return 'malformed';
      case 'forged':
        this.#reportUnreadable(`wrong passphrase for room "${room}": a message could not be decrypted`, now, events);
        return 'unreadable';
    }
  }

  /** A message of a history page: shown once (not if it came live, or in an earlier page), never through the replay windows. */
  #stored(stored: PayloadOf<typeof PacketType.Stored>, encrypted: boolean): InboundEvent[] {
    const outcome = openStored(stored, encrypted, {
      opener: this.#opener,
      maxPixels: this.#maxPixels,
      seenBefore: (sender, messageId) => {
        const key = `${sender}:${messageId}`;
        if (this.#seen.has(key)) return true;
        remember(this.#seen, key, REMEMBERED_MESSAGE_IDS);
        return false;
      },
    });
    switch (outcome.kind) {
      case 'message':
        return [{ kind: 'message', message: outcome.message, senderKey: outcome.senderKey }];
      case 'image':
        return [{ kind: 'image', image: outcome.image, senderKey: outcome.senderKey }];
      case 'action':
        return [{ kind: 'action', action: outcome.action }];
      case 'skipped':
        this.#options.log(outcome.reason === 'duplicate' ? 'debug' : 'warn', `history: ${outcome.detail}`);
        return [];
    }
  }

  /**
   * Who messages from member `origin` are from: its member key in a sealed room (the same across a rejoin under a
   * new member id), else the name the relay binds to it; undefined for a member not in the roster.
   */
  #senderOf(origin: number): string | undefined {
    if (this.#opener) {
      const key = this.#options.roster.signingKey(origin);
      return key ? `k:${Buffer.from(key).toString('hex')}` : undefined;
    }
    const member = this.#options.roster.get(origin);
    return member ? `n:${nameKey(member.name)}` : undefined;
  }

  #reportUnreadable(message: string, now: number, events: InboundEvent[]): void {
    if (now - this.#lastWrongKeyReportAt < WRONG_KEY_REPORT_INTERVAL_MS) return;
    this.#lastWrongKeyReportAt = now;
    events.push({ kind: 'problem', problem: { code: 'wrong-passphrase', message, fatal: false } });
  }
}

function isChat(type: number): type is typeof PacketType.Text | typeof PacketType.Image {
  return type === PacketType.Text || type === PacketType.Image;
}

function keyOf(origin: number, messageId: bigint): string {
  return `${origin}:${messageId}`;
}

/** Adds to an insertion-ordered set, forgetting the oldest beyond `limit`. */
function remember<T>(set: Set<T>, value: T, limit: number): void {
  set.add(value);
  if (set.size > limit) {
    const oldest = set.values().next().value as T;
    set.delete(oldest);
  }
}
