/**
 * The chat client the CLI and the extension share: joins a room on a relay, sends text and images, and reports
 * everything it receives as typed events. It keeps what the user sends until the relay has it, notices a relay
 * that went away, and rejoins by itself (same name, same process) when it is back.
 *
 * This file is the edge: the dgram socket, one timer and a Clock. The rest takes `now` and owns no socket:
 * session.ts (join and back-off, the Welcome, heartbeats, the verdicts that end a session), conversation.ts
 * (the outbox, the inbound pipeline and the roster, turned into events) and, in a sealed room, sealing.ts (the
 * room keys and the replay marks).
 */
import type dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { DEFAULT_ROOM } from '../protocol/constants';
import { checkName, checkRoom } from '../protocol/names';
import type { ImageFormat } from '../protocol/payload';
import { assertNever, PacketType, PresenceCode, type MessageFragment as Fragment } from '../protocol/types';
import { systemClock, type Clock } from '../util/clock';
import { DeadlineTimer, stallMs } from '../util/deadline-timer';
import { TypedEmitter } from '../util/typed-emitter';
import type { SnippetMeta } from '../shared/snippet';
import { composeDelete, composeEdit, composeReaction, composeReply, type ComposeContext } from './compose';
import { Conversation, type ChatPayload } from './conversation';
import { ChatClientError, closedError } from './errors';
import { classifyRefusal } from './join';
import { LeaveWait } from './leave';
import { RoomSealing } from './sealing';
import { RelaySession, type SessionSignal } from './session';
import { composeSnippet } from './snippets';
import { bindSocket, createClientSocket, resolveRelay } from './socket';
import { PresenceAnnouncer, type Presence } from './presence';
import { TypingThrottle } from './typing';
import type { ChatClientEvents, ChatClientOptions, ChatMember, ClientState, ClientStateReason, DeliveryUpdate, IgnoredActions, ReadyInfo, TransportStats } from './types';

export * from './types';
export { ChatClientError } from './errors';
export { TYPING_EXPIRES_MS, TYPING_INTERVAL_MS } from './typing';
export { PRESENCE_INTERVAL_MS, type Presence } from './presence';

export class ChatClient extends TypedEmitter<ChatClientEvents> {
  readonly #options: ChatClientOptions;
  readonly #name: string;
  readonly #room: string;
  readonly #log: NonNullable<ChatClientOptions['log']>;
  readonly #clock: Clock;
  readonly #timer: DeadlineTimer;
  readonly #chat: Conversation;
  /** A sealed room's keys and replay marks; undefined in an open room. */
  readonly #sealing: RoomSealing | undefined;
  #session: RelaySession;
  #socket: dgram.Socket | undefined;
  #relayAddress = '';
  #state: ClientState = 'connecting';
  /** A refused rejoin is reported once per reconnection, not at every retry. */
  #rejoinRefusalReported = false;
  #connectStarted = false;
  /** The promise connect() returned, until it settles. */
  #connecting: { resolve(info: ReadyInfo): void; reject(error: Error): void } | undefined;
  readonly #leaving: LeaveWait;
  readonly #typing = new TypingThrottle();
  readonly #presence = new PresenceAnnouncer();

  constructor(options: ChatClientOptions) {
    super();
    const name = checkName(options.name);
    if (!name.ok) throw new ChatClientError('name-invalid', name.reason);
    const room = checkRoom(options.room ?? DEFAULT_ROOM);
    if (!room.ok) throw new ChatClientError('room-invalid', room.reason);
    this.#options = options;
    this.#name = name.value;
    this.#room = room.value;
    this.#log = options.log ?? (() => {});
    this.#clock = options.clock ?? systemClock;
    this.#timer = new DeadlineTimer(this.#timerOnFire, this.#clock);
    this.#leaving = new LeaveWait(this.#clock);
    this.#sealing = RoomSealing.of(options, this.#room, {
      closed: () => this.#state === 'closed',
      session: () => this.#session,
      conversation: () => this.#chat,
      schedule: () => this.#schedule(),
      failed: (message) => this.#fail('key-derivation-failed', message),
    }, this.#clock, this.#log);
    this.#session = this.#newSession();
    this.#chat = new Conversation(
      {
        emit: (event, ...args) => {
          this.emit(event, ...args);
          // A newcomer learns our presence from us.
          if (event === 'memberJoined') this.#presenceAgain();
        },
        channel: () => this.#session.channel,
        connected: () => this.#state === 'connected',
        memberId: () => this.#session.memberId,
        limits: () => this.#session.limits,
        entered: () => this.#setState('connected', `in room ${this.#room}`, 'joined'),
        ready: (info) => this.#settleConnect(info, undefined),
      },
      { ...options, name: this.#name, room: this.#room, log: this.#log },
      randomInt(0, 2 ** 32),
    );
    // A sealed room's keys come with the relay's salt, after the join began: what is sent meanwhile waits for them.
    if (this.#sealing) this.#chat.expectSeal();
  }

  get name(): string {
    return this.#name;
  }

  get room(): string {
    return this.#room;
  }

  get state(): ClientState {
    return this.#state;
  }

  get memberId(): number {
    return this.#session.memberId;
  }

  /** The local UDP port (0 before connect). */
  get localPort(): number {
    return this.#socket ? this.#socket.address().port : 0;
  }

  /** True when the room is sealed with a passphrase (end-to-end encrypted). */
  get encrypted(): boolean {
    return this.#chat.encrypted;
  }

  get members(): ChatMember[] {
    return this.#chat.members;
  }

  /** Largest text the relay accepts, in UTF-8 bytes (its figure, clamped to a sane range). */
  get maxTextBytes(): number {
    return this.#session.limits.maxTextBytes;
  }

  /** Largest (compressed) image the relay accepts, in bytes (its figure, clamped to a sane range). */
  get maxImageBytes(): number {
    return this.#session.limits.maxImageBytes;
  }

  /** The relay's heartbeat interval (ms), clamped. */
  get heartbeatIntervalMs(): number {
    return this.#session.limits.heartbeatIntervalMs;
  }

  /** What the outbox holds: messages not yet delivered, and what keeping them costs in bytes. */
  get outboxUsage(): { messages: number; bytes: number } {
    return this.#chat.outboxUsage;
  }

  stats(): TransportStats | undefined {
    const channel = this.#session.channel;
    return channel ? { ...channel.stats, heartbeatRttMs: this.#session.heartbeatRttMs } : undefined;
  }

  /**
   * Opens the socket and starts joining. Resolves on the first `ready`; rejects with a ChatClientError when the
   * relay refuses the join (name taken, room full, ...), with code `closed` when close() or leave() comes first,
   * and with `already-connected` when called a second time. While the relay does not answer it keeps trying.
   */
  async connect(): Promise<ReadyInfo> {
    if (this.#state === 'closed') throw new ChatClientError('closed', 'the chat client is closed; make a new one to join again');
    if (this.#connectStarted) throw new ChatClientError('already-connected', 'connect() was called twice; a chat client joins once');
    this.#connectStarted = true;
    // Before the socket opens, so before any sealed message can be opened.
    const loadingMarks = this.#sealing?.loadMarks();
    if (loadingMarks) await loadingMarks;
    this.#throwIfClosed();
    const resolved = await resolveRelay(this.#options.relayHost);
    this.#throwIfClosed();
    this.#relayAddress = resolved.address;
    const socket = createClientSocket(resolved.family);
    this.#socket = socket;
    socket.on('message', this.#socketOnMessage);
    socket.on('error', this.#socketOnError);
    try {
      await bindSocket(socket, this.#options.bindAddress, closedError);
    } catch (error) {
      if (this.#socket === socket) this.#socket = undefined;
      throw error;
    }
    this.#throwIfClosed();
    return new Promise<ReadyInfo>((resolve, reject) => {
      this.#connecting = { resolve, reject };
      this.#startJoining('connecting', 'joining the relay', 'joining');
    });
  }

  /** Queues a text; returns its message id. Throws ChatClientError when it is empty, too large or does not fit. */
  sendText(text: string): string {
    if (text.length === 0) throw new ChatClientError('empty', 'there is nothing to send');
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.maxTextBytes) {
      throw new ChatClientError('too-large', `the message is ${bytes} bytes; the relay accepts at most ${this.maxTextBytes}`);
    }
    return this.#queue({ type: PacketType.Text, sentAt: this.#clock.wallNow(), sender: this.#name, text });
  }

  /** Queues an already compressed image; returns its message id. Throws like sendText. */
  sendImage(image: { data: Uint8Array; width: number; height: number; format: ImageFormat }): string {
    if (image.data.length === 0) throw new ChatClientError('empty', 'the image is empty');
    if (image.data.length > this.maxImageBytes) {
      throw new ChatClientError('too-large', `the compressed image is ${image.data.length} bytes; the relay accepts at most ${this.maxImageBytes}`);
    }
    return this.#queue({ type: PacketType.Image, sentAt: this.#clock.wallNow(), sender: this.#name, ...image });
  }

  /**
   * Queues a code snippet (`code`, from `meta`'s file and lines); returns its id. Throws ChatClientError
   * `invalid-snippet`, `empty`, `too-large` (its size and the limit in KB), and as sendText.
   */
  sendSnippet(meta: SnippetMeta, code: string): string {
    return this.#queue(composeSnippet(meta, code, this.#composing()));
  }

  /** Queues a text answering message `replyTo`; returns its id. Throws like sendText, and `invalid-id`. */
  sendReply(replyTo: string, text: string): string {
    return this.#queue(composeReply(replyTo, text, this.#composing()));
  }

  /**
   * Toggles our reaction `emoji` on message `id` (on when it is off, off when on); returns the new state and the
   * reaction's own message id. Throws ChatClientError `invalid-id`, `invalid-emoji`, `closed`, `outbox-full`.
   */
  react(id: string, emoji: string): { on: boolean; id: string } {
    const on = !this.#chat.ledger.reacted(id, this.#chat.ownKey, emoji);
    const sent = this.#queue(composeReaction(id, emoji, on, this.#composing()));
    this.#chat.ledger.toggle(id, this.#chat.ownKey, emoji);
    return { on, id: sent };
  }

  /**
   * Replaces the text of one of our messages; returns the edit's own id. Throws ChatClientError `invalid-id`,
   * `unknown-message`, `not-own`, `not-editable` (an image), `deleted`, and as sendText.
   */
  editMessage(id: string, text: string): string {
    return this.#queue(composeEdit(id, text, this.#composing()));
  }

  /** Deletes one of our messages; returns the delete's own id. Throws like editMessage. */
  deleteMessage(id: string): string {
    const sent = this.#queue(composeDelete(id, this.#composing()));
    this.#chat.ledger.deletedOwn(id);
    return sent;
  }

  /**
   * Says whether our window is in use: told to the room now (unreliable), and again when someone joins or we
   * reconnect; at most one datagram per PRESENCE_INTERVAL_MS.
   */
  setPresence(state: Presence): void {
    this.#presence.set(state);
    this.#sendPresenceIfDue(this.#clock.now());
    this.#schedule();
  }

  /** Someone joined, or we (re)connected: our presence goes out again (now, or when the interval allows). */
  #presenceAgain(): void {
    this.#presence.again();
    this.#sendPresenceIfDue(this.#clock.now());
    this.#schedule();
  }

  #sendPresenceIfDue(now: number): void {
    if (this.#state !== 'connected' || !this.#presence.due(now)) return;
    const state = this.#presence.state === 'away' ? PresenceCode.Away : PresenceCode.Active;
    if (this.#session.sendPresence(state)) this.#presence.sent(now);
  }

  /** Says we are typing: at most one unreliable datagram per TYPING_INTERVAL_MS, nothing while not connected. */
  sendTyping(): void {
    if (this.#state !== 'connected') return;
    const now = this.#clock.now();
    if (this.#typing.due(now) && this.#session.sendTyping()) this.#typing.sent(now);
  }

  /** What arrived and was not applied: edits or deletes by someone else than the sender, unknown kinds, ... */
  get ignoredActions(): IgnoredActions {
    return { ...this.#chat.ledger.ignored };
  }

  #composing(): ComposeContext {
    return { sender: this.#name, sentAt: this.#clock.wallNow(), maxTextBytes: this.maxTextBytes, ownership: (id) => this.#chat.ledger.ownership(id, this.#chat.ownKey) };
  }

  /** Sends a failed message again (same id, so nobody sees it twice). */
  retry(id: string): boolean {
    const retried = this.#chat.retry(id, this.#clock.now());
    this.#schedule();
    return retried;
  }

  /** Removes a failed (or still queued) message from the outbox; its last update says `discarded`. */
  discard(id: string): boolean {
    const discarded = this.#chat.discard(id);
    this.#schedule();
    return discarded;
  }

  /**
   * Asks the relay for a page of the room's history: the newest `limit` messages numbered below `before` (0 or
   * absent: the newest), or the oldest `limit` above `after`. They arrive as `message`/`image` events with
   * `backlog: true` (none already shown) before the promise resolves; it resolves on close too, with what came.
   */
  requestHistory(query: { before?: number; after?: number; limit: number }): Promise<{ count: number; latestSeq: number; complete: boolean }> {
    if (this.#state === 'closed') return Promise.resolve({ count: 0, latestSeq: this.#chat.latestSeq ?? 0, complete: false });
    const result = this.#chat.requestHistory(query, this.#clock.now());
    this.#schedule();
    return result;
  }

  /** The number up to which this client holds the room's history (undefined before its first backlog). */
  get latestSeq(): number | undefined {
    return this.#chat.latestSeq;
  }

  /** Messages not yet delivered to the relay, oldest first. */
  pending(): DeliveryUpdate[] {
    return this.#chat.pending();
  }

  /** Leaves the room (telling the relay, waiting a moment for its acknowledgement) and closes the socket. */
  leave(): Promise<void> {
    // A second leave() while the first waits gets the same promise: both settle together.
    this.#leavingDone ??= this.#leave();
    return this.#leavingDone;
  }

  async #leave(): Promise<void> {
    if (this.#state === 'closed') return;
    const channel = this.#session.channel;
    const waiting = channel && this.#state === 'connected' ? this.#leaving.send(channel, this.#chat.nextId(), this.#clock.now()) : undefined;
    if (waiting) {
      this.#schedule();
      await waiting;
    }
    this.close('left');
    await this.#sealing?.saved;
  }

  #leavingDone: Promise<void> | undefined;

  /** Closes at once, without telling the relay (it will notice the silence). */
  close(reason: 'closed' | 'left' | 'refused' = 'closed'): void {
    if (this.#state === 'closed') return;
    this.#setState('closed', reason === 'left' ? 'left the room' : reason === 'refused' ? 'the relay refused the join' : 'closed', reason);
    this.#timer.dispose();
    this.#session.stop();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      socket.off('message', this.#socketOnMessage);
      socket.close();
    }
    this.#leaving.end();
    this.#chat.closeHistory();
    this.#settleConnect(undefined, closedError());
    this.#sealing?.close();
  }

  #queue(payload: ChatPayload): string {
    if (this.#state === 'closed') throw new ChatClientError('closed', 'the chat client is closed');
    const id = this.#chat.queue(payload, this.#clock.now());
    this.#schedule();
    return id;
  }

  // ---- the session -------------------------------------------------------------------------------------------

  #newSession(): RelaySession {
    const host = {
      send: (datagram: Uint8Array) => this.#send(datagram),
      deliver: (fragment: Fragment) => this.#chat.receive(fragment, this.#clock.now()),
      acknowledged: (ticket: number) => this.#sessionOnAcknowledged(ticket),
    };
    return new RelaySession(host, { ...this.#options, name: this.#name, room: this.#room, sealed: this.#sealing !== undefined, log: this.#log });
  }

  #startJoining(state: 'connecting' | 'reconnecting', detail: string, reason: ClientStateReason): void {
    this.#chat.sessionEnded();
    this.#leaving.end(); // the Leave went with the old channel
    this.#rejoinRefusalReported = false;
    this.#setState(state, detail, reason);
    this.#session.start(this.#clock.now());
    this.#schedule();
  }

  /** A verdict no retry can change: said once as a fatal error, connect() rejects, and the client closes. */
  #fail(code: string, message: string): void {
    this.emit('error', { code, message, fatal: true });
    this.#settleConnect(undefined, new ChatClientError(code, message));
    this.close('refused');
  }

  #sessionOnAcknowledged(ticket: number): void {
    if (!this.#leaving.acknowledged(ticket)) this.#chat.acknowledged(ticket);
  }

  #onSignal(signal: SessionSignal): void {
    switch (signal.kind) {
      case 'none':
        return;
      case 'welcomed':
        return this.#sealing?.welcomed(this.#clock.now());
      case 'derive':
        return this.#sealing?.derive(signal.roomSalt, this.#clock.now());
      case 'lost':
        return this.#startJoining('reconnecting', signal.detail, signal.reason);
      case 'rate-limited':
        return void this.emit('error', { code: 'rate-limited', message: signal.message, fatal: false });
      case 'typing':
        return this.#chat.typing(signal.memberId);
      case 'presence':
        return this.#chat.presence(signal.memberId, signal.state);
      case 'refused':
        if (this.#state === 'connected') return;
        if (classifyRefusal(signal.code, this.#chat.rejoining) === 'retry') {
          if (!this.#rejoinRefusalReported) {
            this.#rejoinRefusalReported = true;
            this.emit('error', { code: signal.name, message: `${signal.message}; still trying to rejoin`, fatal: false });
          }
          return;
        }
        return this.#fail(signal.name, signal.message);
      default:
        assertNever(signal, 'session signal');
    }
  }

  // ---- the socket and the timer ------------------------------------------------------------------------------

  #socketOnMessage = (datagram: Buffer, remote: dgram.RemoteInfo): void => {
    if (this.#state === 'closed') return;
    // Only the relay speaks to us; anything else is noise or an attempt to inject.
    if (remote.address !== this.#relayAddress || remote.port !== this.#options.relayPort) return;
    try {
      this.#onSignal(this.#session.receive(datagram, this.#clock.now()));
      this.#schedule();
      this.#sealing?.changed();
    } catch (error) {
      this.#log('warn', `internal error handling a datagram: ${String(error)}`);
    }
  };

  #socketOnError = (error: Error): void => {
    this.#log('warn', `socket error: ${error.message}`);
  };

  #timerOnFire = (dueAt: number): void => {
    if (this.#state === 'closed') return;
    try {
      const now = this.#clock.now();
      const stalledMs = stallMs(dueAt, now);
      if (stalledMs > 0) this.#session.excuseStall(stalledMs, now);
      this.#onSignal(this.#session.poll(now));
      this.#chat.poll(now);
      this.#sendPresenceIfDue(now);
    } catch (error) {
      this.#log('warn', `internal error in the client timer: ${String(error)}`);
    }
    this.#schedule();
  };

  /** Arms the timer for the earliest deadline of any part; starts a new session when this one ran out of numbers. */
  #schedule(): void {
    if (this.#state === 'closed') return;
    const channel = this.#session.channel;
    if (channel?.exhausted && channel.idle) {
      // Sequence numbers never wrap (reliability.ts): once what took the last ones is acknowledged, a new session
      // starts from 1, and what the old one refused goes out on it.
      this.#startJoining('reconnecting', 'starting a new session: this one has used up its sequence numbers', 'new-session');
      return;
    }
    const presenceAt = this.#state === 'connected' ? this.#presence.nextWakeup() : undefined;
    const deadlines = [this.#session.nextWakeup(), this.#chat.nextWakeup(), presenceAt].filter((at) => at !== undefined);
    this.#timer.reset(deadlines.length === 0 ? undefined : Math.min(...deadlines));
  }

  #send(datagram: Uint8Array): void {
    const socket = this.#socket;
    if (!socket || this.#state === 'closed') return;
    socket.send(datagram, this.#options.relayPort, this.#relayAddress);
  }

  #setState(state: ClientState, detail: string, reason: ClientStateReason): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state, detail, reason);
    // Joined, or back: the room hears our presence again.
    if (state === 'connected') this.#presenceAgain();
  }

  #settleConnect(info: ReadyInfo | undefined, error: Error | undefined): void {
    const connecting = this.#connecting;
    if (!connecting) return;
    this.#connecting = undefined;
    if (info) connecting.resolve(info);
    else connecting.reject(error ?? closedError());
  }

  #throwIfClosed(): void {
    if (this.#state === 'closed') throw closedError();
  }
}
