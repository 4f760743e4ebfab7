/**
 * The chat as the client sees it, over whatever session is open: what the user sends (the outbox), what arrives
 * (the inbound pipeline) and who is in the room (the roster), turned into the client's events. No socket and no
 * clock: time comes in as an argument (ms, monotonic), the channel to send on is asked of the host, and events go
 * out through `host.emit`.
 */
import { HEADER_BYTES } from '../protocol/constants';
import { formatMessageId, MessageIdSource } from '../protocol/ids';
import { nameKey } from '../protocol/names';
import { encodePayload, HistoryDirection, type MemberInfo, type MessagePayload } from '../protocol/payload';
import type { ReliableChannel } from '../protocol/reliability';
import type { ReplayMark } from '../protocol/replay-marks';
import { ContentOpener, ContentSealer, type RoomKeys } from '../protocol/room-crypto';
import { assertNever, errorCodeName, Flag, leaveReasonName, PacketType, PresenceCode, type MessageFragment as Fragment } from '../protocol/types';
import { emitLedgerEvents, withMentions } from './action-events';
import { ActionLedger, type LedgerEvent } from './actions';
import { messageShape } from './compose';
import { ChatClientError } from './errors';
import { HistoryTracker, type HistoryOptions, type HistoryPageResult, type HistoryQuery } from './history';
import { InboundPipeline, type InboundEvent } from './inbound';
import type { AnnouncedLimits } from './limits';
import { fragmentsOf, Outbox, OUTBOX_MAX_BYTES, OUTBOX_MAX_MESSAGES, type OutboxEntry } from './outbox';
import { SealHold } from './seal-hold';
import { Roster } from './roster';
import type { ChatClientEvents, ChatMember, DeliveryUpdate, ReadyInfo } from './types';

export type ChatPayload = Extract<MessagePayload, { type: typeof PacketType.Text | typeof PacketType.Image }>;

export interface ConversationHost {
  emit<E extends keyof ChatClientEvents & string>(event: E, ...args: ChatClientEvents[E]): void;
  /** The open channel, and whether the client is connected (its member list arrived). */
  channel(): ReliableChannel<Fragment> | undefined;
  connected(): boolean;
  memberId(): number;
  /** The relay's limits, clamped. */
  limits(): AnnouncedLimits;
  /** The member list arrived: the client is in the room (before `ready` is emitted). */
  entered(): void;
  /** After `ready` was emitted. */
  ready(info: ReadyInfo): void;
}

export interface ConversationOptions {
  name: string;
  room: string;
  deliveryTimeoutMs?: number;
  maxImageMegapixels?: number;
  incompleteAfterMs?: number;
  history?: HistoryOptions;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

export class Conversation {
  readonly #host: ConversationHost;
  readonly #options: ConversationOptions;
  readonly #ids: MessageIdSource;
  readonly #roster = new Roster();
  readonly #outbox: Outbox;
  readonly #inbound: InboundPipeline;
  #sealer: ContentSealer | undefined;
  /** A sealed room whose keys are not here yet: what is sent waits for them (never unsealed on the wire). */
  #awaitingKeys = false;
  readonly #sealHold = new SealHold<ChatPayload>();
  readonly #history: HistoryTracker;
  /** Who sent each message seen: edits and deletes are applied only from that sender. */
  readonly #ledger: ActionLedger;
  /** How the inbound pipeline names us as a sender (member key when sealed, else name): our copies in history are not shown. */
  #ownKey: string;
  #opener: ContentOpener | undefined;
  /** Marks of earlier runs, restored into every opener this conversation makes. */
  #restoredMarks: readonly ReplayMark[] = [];
  #readyOnce = false;

  constructor(host: ConversationHost, options: ConversationOptions, idPrefix: number) {
    this.#host = host;
    this.#options = options;
    this.#ids = new MessageIdSource(idPrefix);
    this.#history = new HistoryTracker(options.history);
    this.#ledger = new ActionLedger(options.log);
    this.#ownKey = `n:${nameKey(options.name)}`;
    this.#outbox = new Outbox({ deliveryTimeoutMs: options.deliveryTimeoutMs, headerBytes: HEADER_BYTES });
    this.#inbound = new InboundPipeline({
      room: options.room,
      roster: this.#roster,
      maxTextBytes: () => host.limits().maxTextBytes,
      maxImageBytes: () => host.limits().maxImageBytes,
      maxImageMegapixels: options.maxImageMegapixels,
      incompleteAfterMs: options.incompleteAfterMs,
      log: options.log,
    });
  }

  /** The room is sealed but its keys come later (with the relay's salt): hold what is sent until `seal`. */
  expectSeal(): void {
    if (!this.#sealer) this.#awaitingKeys = true;
  }

  /** The room is sealed: what is sent is sealed with these keys, what arrives is opened with them. */
  seal(keys: RoomKeys, now: number): void {
    this.#sealer = new ContentSealer(keys);
    this.#awaitingKeys = false;
    this.#ownKey = `k:${Buffer.from(keys.memberPublicKey).toString('hex')}`;
    const previous = this.#opener;
    this.#opener = new ContentOpener(keys);
    // New keys (sealed anew) keep what the previous opener had accepted, else what earlier runs had.
    this.#opener.restoreMarks(previous ? previous.exportMarks() : this.#restoredMarks);
    this.#inbound.setOpener(this.#opener);
    for (const held of this.#sealHold.take()) {
      try {
        this.#queueSealed(held.id, held.payload, now);
      } catch (error) {
        this.#emit('delivery', { id: formatMessageId(held.id), state: 'failed', progress: 0, reason: (error as Error).message });
      }
    }
  }

  /** Replay marks of earlier runs (ReplayMarkKeeper.load): applied now and to the opener `seal` makes. */
  restoreReplayMarks(marks: readonly ReplayMark[]): void {
    this.#restoredMarks = marks;
    this.#opener?.restoreMarks(marks);
  }

  /** The room's opener (its replay windows), once sealed. */
  get opener(): ContentOpener | undefined {
    return this.#opener;
  }

  get encrypted(): boolean {
    return this.#sealer !== undefined;
  }

  /** True once a member list arrived: a join refused from then on is a rejoin. */
  get rejoining(): boolean {
    return this.#readyOnce;
  }

  get members(): ChatMember[] {
    return this.#roster.list;
  }

  get outboxUsage(): { messages: number; bytes: number } {
    return { messages: this.#outbox.size, bytes: this.#outbox.bytes };
  }

  pending(): DeliveryUpdate[] {
    return [...this.#outbox.pending(), ...this.#sealHold.pending()];
  }

  /** A new message id (the Leave takes one too). */
  nextId(): bigint {
    return this.#ids.next();
  }

  /** Queues a text or image; returns its id. Throws ChatClientError `outbox-full` when it does not fit. */
  queue(payload: ChatPayload, now: number): string {
    const id = this.#ids.next();
    if (this.#awaitingKeys) return this.#hold(id, payload);
    this.#queueSealed(id, payload, now);
    return formatMessageId(id);
  }

  /** Holds a message until the room's keys arrive; refused like the outbox refuses what it cannot hold. */
  #hold(id: bigint, payload: ChatPayload): string {
    const bytes = encodePayload(payload).length;
    if (this.#outbox.size + this.#sealHold.size >= OUTBOX_MAX_MESSAGES || this.#outbox.bytes + this.#sealHold.bytes + bytes > OUTBOX_MAX_BYTES) {
      throw new ChatClientError('outbox-full', `the outbox is full while the room's keys are being derived; the ${payload.type === PacketType.Image ? 'image' : 'message'} was not queued`);
    }
    this.#host.emit('delivery', this.#sealHold.add({ id, payload, bytes }));
    return formatMessageId(id);
  }

  /** Seals (when the room is sealed) and queues; a message that no longer fits fails with the outbox's reason. */
  #queueSealed(id: bigint, payload: ChatPayload, now: number): void {
    this.#inbound.rememberOwn(this.#ownKey, id);
    // A text, reply, snippet or image of ours is ours to edit or delete (a reaction, edit or delete is not a message).
    const shape = messageShape(payload);
    if (shape) this.#ledger.message(formatMessageId(id), this.#ownKey, shape);
    const plain = encodePayload(payload);
    // Sealed once: a resend after a rejoin carries the same sealed bytes, which receivers recognise as a repeat.
    const sealed = this.#sealer ? this.#sealer.seal(payload.type, id, plain) : plain;
    const added = this.#outbox.add(id, payload.type, fragmentsOf(payload.type, sealed, id, this.#sealer ? Flag.Encrypted : 0), now);
    if (!added.entry) throw new ChatClientError('outbox-full', added.refused);
    this.#sendOrQueue(added.entry, now);
  }

  retry(id: string, now: number): boolean {
    const entry = this.#outbox.retry(id, now);
    if (entry) this.#sendOrQueue(entry, now);
    return entry !== undefined;
  }

  discard(id: string): boolean {
    const update = this.#outbox.discard(id) ?? this.#sealHold.discard(id);
    if (update) this.#host.emit('delivery', update);
    return update !== undefined;
  }

  /** The relay acknowledged a ticket of the channel. */
  acknowledged(ticket: number): void {
    const update = this.#outbox.acknowledged(ticket);
    if (update) this.#emit('delivery', update);
  }

  /** The session ended: what was sending waits for the next; nothing waits for members of before any more. */
  sessionEnded(): void {
    this.#outbox.sessionEnded();
    this.#roster.release();
  }

  /** Who sent each message seen or sent (ownership is asked with `ownKey`), our reactions, what was ignored. */
  get ledger(): ActionLedger {
    return this.#ledger;
  }

  /** How the ledger names us: member key in a sealed room, else name. */
  get ownKey(): string {
    return this.#ownKey;
  }

  /** The relay says member `memberId` is typing (a member it no longer lists is not shown). */
  typing(memberId: number): void {
    const member = this.#roster.get(memberId);
    if (member) this.#host.emit('typing', { from: member.name, fromId: member.id });
  }

  /** The relay says member `memberId` is active or away (a member it no longer lists is not shown). */
  presence(memberId: number, state: PresenceCode): void {
    const member = this.#roster.get(memberId);
    if (member) this.#host.emit('presence', { from: member.name, fromId: member.id, state: state === PresenceCode.Away ? 'away' : 'active' });
  }

  /** A fragment the channel delivered, in order. A listener that throws loses nothing else. */
  receive(fragment: Fragment, now: number): void {
    this.#dispatch(this.#inbound.receive(fragment, now), now);
  }

  /** Time-outs: the outbox's (failed, expired), the hold after a rejoin, partial messages gone stale. */
  poll(now: number): void {
    const holdUntil = this.#roster.holdUntil;
    if (holdUntil !== undefined && now >= holdUntil) this.#flush(now);
    const why = this.#host.connected() ? 'the relay did not confirm it' : 'the relay is not reachable';
    for (const update of this.#outbox.poll(now, why)) this.#emit('delivery', update);
    this.#dispatch(this.#inbound.expire(now), now);
  }

  /** When `poll` next has work to do (ms), or undefined. */
  nextWakeup(): number | undefined {
    const deadlines = [this.#roster.holdUntil, this.#outbox.nextWakeup(), this.#inbound.nextWakeup()].filter((at) => at !== undefined);
    return deadlines.length === 0 ? undefined : Math.min(...deadlines);
  }

  /** Sends on the channel when messages may go out now; else it waits (joining, or held after a rejoin). */
  #sendOrQueue(entry: OutboxEntry, now: number): void {
    const channel = this.#host.channel();
    if (channel && this.#host.connected() && this.#roster.holdUntil === undefined) this.#transmit(entry, channel, now);
    else this.#host.emit('delivery', this.#outbox.queue(entry, now));
  }

  #transmit(entry: OutboxEntry, channel: ReliableChannel<Fragment>, now: number): void {
    // An exhausted channel leaves the entry queued: the edge starts the new session it needs.
    const { update } = this.#outbox.transmit(entry, channel, now);
    if (update) this.#emit('delivery', update);
  }

  /** Sends what waited in the outbox, oldest first, on the current channel. */
  #flush(now: number): void {
    this.#roster.release();
    const channel = this.#host.channel();
    if (!channel) return;
    for (const entry of this.#outbox.sendable()) {
      if (channel.exhausted) return;
      this.#transmit(entry, channel, now);
    }
  }

  /** The member list completes a join: the client is ready, and what waited in the outbox goes out. */
  #onMemberList(members: MemberInfo[], now: number): void {
    const rejoined = this.#readyOnce;
    const changes = this.#roster.replace(members, rejoined, now);
    for (const member of changes.left) this.#host.emit('memberLeft', member, 'timeout');
    for (const member of changes.joined) this.#host.emit('memberJoined', member);
    this.#readyOnce = true;
    this.#host.entered();
    if (this.#roster.holdUntil === undefined) this.#flush(now);
    const info: ReadyInfo = { name: this.#options.name, room: this.#options.room, memberId: this.#host.memberId(), members: this.members, rejoined };
    this.#host.emit('ready', info);
    this.#host.ready(info);
    this.#sendQueries(this.#history.joined(), now);
  }

  /** The resume point of the room's history (undefined before the first join's backlog). */
  get latestSeq(): number | undefined {
    return this.#history.covered;
  }

  /** Asks the relay for a page of history; its messages arrive as backlog `message`/`image` events first. */
  requestHistory(query: { before?: number; after?: number; limit: number }, now: number): Promise<HistoryPageResult> {
    return new Promise((resolve) => {
      const direction = query.after !== undefined ? HistoryDirection.After : HistoryDirection.Before;
      const sent = this.#history.request(direction, query.after ?? query.before ?? 0, query.limit, resolve);
      if (this.#host.connected()) this.#sendQueries([sent], now);
    });
  }

  /** The client closed: every history request settles with what it got. */
  closeHistory(): void {
    this.#history.close();
  }

  /** HistoryRequests on the channel (when there is none, the next join asks again). */
  #sendQueries(queries: readonly HistoryQuery[], now: number): void {
    const channel = this.#host.channel();
    if (!channel) return;
    for (const query of queries) {
      const payload = encodePayload({ type: PacketType.HistoryRequest, ...query });
      for (const fragment of fragmentsOf(PacketType.HistoryRequest, payload, this.#ids.next())) {
        channel.send(fragment, HEADER_BYTES + fragment.chunk.length, 'normal', now);
      }
    }
  }

  #dispatch(events: InboundEvent[], now: number): void {
    for (const event of events) {
      try {
        this.#dispatchOne(event, now);
      } catch (error) {
        this.#options.log('warn', `a listener failed on ${event.kind}: ${String(error)}`);
      }
    }
  }

  #dispatchOne(event: InboundEvent, now: number): void {
    switch (event.kind) {
      case 'incoming':
        return this.#host.emit('incoming', event.progress);
      case 'message': {
        if (event.message.backlog) this.#history.shown();
        const released = this.#ledger.message(event.message.id, event.senderKey, event.message.snippet ? 'snippet' : 'text');
        // A snippet's code is quoted, not said: a decorator like `@bob` mentions nobody.
        this.#host.emit('message', event.message.snippet ? event.message : withMentions(event.message, this.#names()));
        return this.#emitLedger(released);
      }
      case 'image': {
        if (event.image.backlog) this.#history.shown();
        const released = this.#ledger.message(event.image.id, event.senderKey, 'image');
        this.#host.emit('image', event.image);
        return this.#emitLedger(released);
      }
      case 'action':
        return this.#emitLedger(this.#ledger.action(event.action));
      case 'numbered':
        return this.#history.numbered(event.seq, event.previousSeq);
      case 'historyEnd': {
        const outcome = this.#history.ended(event.requestId, event.latestSeq, event.complete, event.reachedSeq);
        this.#sendQueries(outcome.send, now);
        if (outcome.backlogEnd) this.#host.emit('backlog-end', outcome.backlogEnd);
        return;
      }
      case 'dropped':
        return this.#host.emit('incomingDropped', event.drop);
      case 'problem':
        return this.#host.emit('error', event.problem);
      case 'members':
        return this.#onMemberList(event.members, now);
      case 'memberJoined': {
        const added = this.#roster.add(event.member, this.#host.memberId());
        if (!added) return;
        this.#host.emit('memberJoined', added.member);
        if (added.released) this.#flush(now);
        return;
      }
      case 'memberLeft': {
        const member = this.#roster.remove(event.member.id);
        if (!member) return;
        this.#dispatch(this.#inbound.dropOrigin(member.id, member.name), now);
        return this.#host.emit('memberLeft', member, leaveReasonName(event.reason));
      }
      case 'notice': {
        const update = this.#outbox.refusedByRelay(event.messageId, event.message, now);
        if (update) this.#host.emit('delivery', update);
        const problem = { code: errorCodeName(event.code), message: event.message, fatal: false, messageId: formatMessageId(event.messageId) };
        return this.#host.emit('error', problem);
      }
      default:
        assertNever(event, 'inbound event');
    }
  }

  #emitLedger(events: readonly LedgerEvent[]): void {
    emitLedgerEvents(this.#host.emit.bind(this.#host), events, () => this.#names());
  }

  /** Who a text can mention: the room's members and us. */
  #names(): string[] {
    return [...this.#roster.list.map((member) => member.name), this.#options.name];
  }

  /** Emits where a throwing listener must not break the caller (a channel callback, the timer). */
  #emit(event: 'delivery', update: DeliveryUpdate): void {
    try {
      this.#host.emit(event, update);
    } catch (error) {
      this.#options.log('warn', `a listener failed on ${event}: ${String(error)}`);
    }
  }
}
