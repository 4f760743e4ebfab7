/**
 * The conversation as the chat panel shows it: one ChatClient, the entries of the conversation, transfers in
 * progress, and the member list, kept in the extension host so that a panel that is hidden, shown or reloaded
 * loses nothing. Its state follows the client's: a client that closes by itself (a rejoin the relay refused) is let
 * go, said once, and every promise waiting on it settles. What arrives is shown by incoming.ts, what the user
 * sends by outgoing.ts. It speaks the panel's protocol (src/shared/panel-messages.ts) but does not import vscode,
 * so it is tested with real sockets and no editor.
 */
import { ChatClient, ChatClientError, type ChatProblem, type DeliveryUpdate, type ReadyInfo } from '../client/client';
import { DEFAULT_COMPRESS_OPTIONS, type CompressedImage } from '../image';
import { DEFAULT_MAX_TEXT_BYTES } from '../protocol/constants';
import { formatHostPort } from '../protocol/address';
import { roomKey, splitRoomKey } from '../history/local-entry';
import type { ChatStateView, ConnectionState, DeliveryView, HostMessage, MemberView, PresenceState, StatsView, UnreadView } from '../shared/panel-messages';
import { TypedEmitter } from '../util/typed-emitter';
import type { ChatSessionEvents, ChatSessionOptions, JoinParameters } from './chat-session-types';
import type { StoredEntry } from './conversation-history';
import { ConversationTools, withQuotes } from './conversation-tools';
import { DeliveryWaiters, toDeliveryView } from './delivery-waiters';
import { PanelHistory } from './history-requests';
import { joinedLine, wireIncoming } from './incoming';
import { sendCompressedImage, sendOwnImage, sendOwnText, type OutgoingOptions } from './outgoing';
import { PanelState } from './panel-state';
import { historyOption } from './relay-history';
import { SessionHistory } from './session-history';
import { SessionImages } from './session-images';
import { sendOwnSnippet, snippetOf, type SessionSnippet } from './session-snippets';
import type { SnippetMeta } from '../shared/snippet';

export type { ChatSessionEvents, ChatSessionOptions, IncomingNotice, JoinParameters, SessionFailure } from './chat-session-types';

/** How often transport statistics are pushed to the panel while connected (ms). */
const STATS_INTERVAL_MS = 2000;

export class ChatSession extends TypedEmitter<ChatSessionEvents> {
  readonly #options: ChatSessionOptions;
  readonly #panel: PanelState;
  readonly #waiters = new DeliveryWaiters();
  readonly #images: SessionImages;
  #client: ChatClient | undefined;
  #params: JoinParameters | undefined;
  #connection: ConnectionState = 'disconnected';
  #encrypted = false;
  #connectionDetail = 'not joined';
  #statsTimer: NodeJS.Timeout | undefined;
  readonly #history: SessionHistory;
  /** The room's history as the panel's questions and the commands reach it. */
  readonly history: PanelHistory;
  /** Showing the room opened last, from the local history; a join waits for it. */
  readonly #restoring: Promise<void>;
  readonly #tools: ConversationTools;
  #unread: UnreadView = { since: undefined, count: 0, mentions: 0 };
  /** This user's presence as the window shows it (focused and in use: active). */
  #presence: PresenceState = 'active';

  constructor(options: ChatSessionOptions) {
    super();
    this.#options = options;
    this.#history = new SessionHistory({ config: options.history, timeOf: (id) => this.#panel.timeOf(id), covered: () => this.#client?.latestSeq, log: options.log });
    this.#panel = new PanelState({
      historyBytes: options.historyBytes,
      imageSrc: options.imageSrc,
      post: (message) => this.#post(message),
      onDropped: (entries) => {
        for (const entry of entries) this.#images.forget(entry.id);
      },
      onAdded: (entry, keep) => this.#history.added(entry, keep),
      onChanged: (id, change) => this.#history.changed(id, change),
    });
    this.#images = new SessionImages({
      saveDir: options.saveDir,
      sentDir: options.sentDir,
      saveQuotaBytes: options.saveQuotaBytes,
      onDeleted: (files) => this.#panel.filesDeleted(files),
      log: options.log,
    });
    this.#tools = new ConversationTools({
      panel: this.#panel,
      memberNames: () => this.#members().map((member) => member.name),
      typingChanged: (names) => this.#post({ type: 'typing', names }),
      presenceChanged: () => this.#post({ type: 'members', members: this.#members() }),
      persist: (change) => this.#history.annotate(change),
    });
    const context = { history: this.#history, post: (message: HostMessage) => this.#post(message), client: () => this.#client, snapshot: () => this.snapshot() };
    this.history = new PanelHistory(context, this.#panel, options.log);
    this.#restoring = this.#history.restoreLast(Date.now(), () => !this.#client).then((entries) => this.#show(entries));
  }

  get joined(): boolean {
    return this.#client !== undefined;
  }

  get connection(): ConnectionState {
    return this.#connection;
  }

  get parameters(): JoinParameters | undefined {
    return this.#params;
  }

  get client(): ChatClient | undefined {
    return this.#client;
  }

  /** Bytes of conversation kept (what a `ready` re-posts, images as URLs). */
  get historyBytes(): number {
    return this.#panel.historyBytes;
  }

  /** Promises from waitForDelivery still open. */
  get waitingForDelivery(): number {
    return this.#waiters.size;
  }

  /** Joins (leaving any current room first). Resolves when ready; rejects when the relay refuses or on leave. */
  async join(params: JoinParameters): Promise<ReadyInfo> {
    await this.leave();
    await this.#restoring;
    this.#show(await this.#history.openForJoin(roomKey(formatHostPort(params.relayHost, params.relayPort), params.room), Date.now()));
    const catchUp = this.#history.latestSeq;
    const client = new ChatClient({
      relayHost: params.relayHost,
      relayPort: params.relayPort,
      name: params.name,
      room: params.room,
      passphrase: params.passphrase || undefined,
      maxImageMegapixels: this.#maxReceivedPixels() / 1e6,
      log: (level, message) => this.#options.log(level, message),
      history: historyOption(catchUp),
      ...this.#options.clientOptions,
    });
    this.#client = client;
    this.#params = { relayHost: params.relayHost, relayPort: params.relayPort, name: client.name, room: client.room };
    this.#encrypted = Boolean(params.passphrase);
    this.#wire(client, catchUp);
    this.#setConnection('connecting', `joining ${client.room} at ${formatHostPort(params.relayHost, params.relayPort)}`);
    this.#postState();
    try {
      const ready = await client.connect();
      if (this.#client === client) this.#startStats();
      return ready;
    } catch (error) {
      if (this.#client === client) {
        this.#let(client, 'you are not in the room');
        this.#setConnection('disconnected', (error as Error).message);
        this.#addSystem(`Could not join: ${(error as Error).message}`, 'error');
        this.#postState();
      }
      throw error;
    }
  }

  /** Leaves the room (telling the relay). The conversation stays visible. */
  async leave(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    this.#stopStats();
    await client.leave();
    this.#let(client, 'you left the room before it was delivered');
    this.#setConnection('disconnected', 'left the room');
    this.#addSystem(`You left ${client.room}.`, 'info');
    this.#postState();
  }

  /**
   * Sends a text (a reply to message `replyTo` when given); returns its id, or throws ChatClientError (not joined,
   * empty, too large, outbox full, replies unsupported).
   */
  sendText(text: string, replyTo?: string): string {
    const client = this.#requireClient();
    if (replyTo === undefined) return sendOwnText(client, text, this.#outgoing());
    const reply = { send: () => this.#tools.reply(client, replyTo, text), replyTo: this.#tools.replyView(replyTo) };
    return sendOwnText(client, text, this.#outgoing(), reply);
  }

  /**
   * Shares lines of code with where they came from (a snippet); returns its id, or throws ChatClientError (not
   * joined, empty, too large, a snippet the wire refuses, outbox full).
   */
  sendSnippet(meta: SnippetMeta, code: string): string {
    return sendOwnSnippet(this.#requireClient(), meta, code, this.#outgoing());
  }

  /** The snippet shown as entry `id` (yours or received), for Open and Copy; undefined when there is none. */
  snippet(id: string): SessionSnippet | undefined {
    return snippetOf(this.#panel.message(id));
  }

  /** Turns your `emoji` on message `id` on or off; throws ChatClientError. */
  react(id: string, emoji: string, on: boolean): void {
    this.#tools.react(this.#requireClient(), id, emoji, on);
  }

  /** Replaces the text of a message of yours; throws ChatClientError (not yours, deleted, too large, ...). */
  edit(id: string, text: string): void {
    this.#tools.edit(this.#requireClient(), id, text);
  }

  /** Deletes a message of yours for everyone; throws ChatClientError. */
  remove(id: string): void {
    this.#tools.remove(this.#requireClient(), id);
  }

  /** The user is typing (the client sends at most one signal every few seconds, and none while not connected). */
  typing(): void {
    if (this.#client) this.#tools.typing(this.#client);
  }

  /** What the unread counter says of the room shown (kept for every `ready`, posted to every surface). */
  setUnread(unread: UnreadView): void {
    this.#unread = unread;
    this.#post({ type: 'unread', unread });
  }

  /** Your presence (the window focused and in use, or not): shown in the member list and told to the room. */
  setPresence(presence: PresenceState): void {
    if (presence === this.#presence) return;
    this.#presence = presence;
    this.#client?.setPresence(presence);
    if (this.#client) this.#post({ type: 'members', members: this.#members() });
  }

  /**
   * Compresses an image file (in the worker) and sends it. `onStage` reports progress for a notification.
   * Resolves with the message id once it is queued; throws ImageError or ChatClientError.
   */
  async sendImageFile(file: string, onStage?: (stage: 'compressing' | 'sending') => void): Promise<string> {
    return sendOwnImage(this.#requireClient(), file, this.#outgoing(), onStage);
  }

  /**
   * Sends an image already compressed (a pasted or dropped one, after its preview); `original` opens full size.
   * Returns its id; throws ChatClientError.
   */
  sendCompressedImage(image: CompressedImage, original?: string): string {
    return sendCompressedImage(this.#requireClient(), image, this.#outgoing(), original);
  }

  /** Resends a failed message. */
  retry(id: string): boolean {
    return this.#client?.retry(id) ?? false;
  }

  /** Drops a failed message from the outbox; its entry then says it was not sent. */
  discard(id: string): boolean {
    return this.#client?.discard(id) ?? false;
  }

  /** The file showing an image message full size, if known. */
  imageFile(id: string): string | undefined {
    return this.#images.fullSize(id) ?? this.#panel.imageFileOf(id);
  }

  /** Folders the panel loads inline images from (its localResourceRoots besides the bundle). */
  imageFolders(): string[] {
    return this.#images.folders();
  }

  /**
   * Waits until message `id` is delivered or failed (for progress notifications). Always settles: when the client
   * goes away first (leave, a refused rejoin, shutdown) it resolves as failed, with the reason.
   */
  waitForDelivery(id: string, onProgress?: (progress: number) => void): Promise<DeliveryView> {
    const client = this.#client;
    const current = this.#panel.deliveryOf(id);
    if (current && (current.state === 'delivered' || current.state === 'failed')) return Promise.resolve(current);
    if (!client) return Promise.resolve({ state: 'failed', progress: current?.progress ?? 0, reason: 'you are not in the room' });
    if (!client.pending().some((update) => update.id === id)) {
      return Promise.resolve({ state: 'failed', progress: current?.progress ?? 0, reason: 'no message with that id is waiting for delivery' });
    }
    return this.#waiters.wait(id, onProgress);
  }

  snapshot(): ChatStateView {
    const client = this.#client;
    const shown = this.#history.key === undefined ? undefined : splitRoomKey(this.#history.key);
    return {
      connection: this.#connection,
      connectionDetail: this.#connectionDetail,
      self: client?.name ?? this.#params?.name,
      // Before a join, the room the local history shows.
      room: client?.room ?? this.#params?.room ?? shown?.room,
      relay: this.#params ? formatHostPort(this.#params.relayHost, this.#params.relayPort) : shown?.relay,
      encrypted: this.#encrypted,
      members: this.#members(),
      entries: this.#panel.entries(),
      transfers: this.#panel.transfers(),
      stats: this.#stats(),
      maxTextBytes: client?.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES,
      hasOlder: this.#history.hasOlder(client !== undefined),
      unread: this.#unread,
      typing: this.#tools.typingNames(),
    };
  }

  /** Closes without waiting long (extension deactivation). */
  async dispose(): Promise<void> {
    this.#stopStats();
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.leave();
    if (client) this.#let(client, 'VS Code closed the chat before it was delivered');
    this.#waiters.failAll('the chat was closed before it was delivered');
    await this.#history.close();
    this.removeAllListeners();
  }

  /** Shows a room's entries from the local history; undefined: the entries shown stay. */
  #show(entries: StoredEntry[] | undefined): void {
    if (!entries) return;
    this.#panel.reset(withQuotes(entries));
    this.#postState();
  }

  // ---- client events -----------------------------------------------------------------------------------------

  #wire(client: ChatClient, catchUp: number): void {
    client.setPresence(this.#presence);
    let ready = false;
    let fatal: ChatProblem | undefined;
    client.on('state', (state, detail) => {
      if (this.#client !== client) return;
      if (state === 'closed') {
        // Before the first `ready`, join() reports the failure through connect()'s rejection.
        if (ready) this.#clientClosed(client, fatal?.code ?? 'closed', fatal?.message ?? detail);
        return;
      }
      const wasReconnecting = this.#connection === 'reconnecting';
      this.#setConnection(state, detail);
      if (state === 'reconnecting') this.#addSystem(`Connection lost: ${detail}. Reconnecting…`, 'warning');
      if (state === 'connected' && wasReconnecting) this.#addSystem('Reconnected.', 'info');
    });
    client.on('ready', (info) => {
      if (this.#client !== client) return;
      ready = true;
      if (!info.rejoined) this.#panel.addSystem(joinedLine(info), 'info', Date.now(), true);
      this.#post({ type: 'members', members: this.#members() });
      this.#postState();
    });
    wireIncoming(client, {
      panel: this.#panel,
      images: this.#images,
      maxReceivedPixels: () => this.#maxReceivedPixels(),
      members: () => this.#members(),
      post: (message) => this.#post(message),
      notify: (notice) => this.emit('incoming', notice),
      self: () => client.name,
      replyView: (id) => this.#tools.replyView(id),
      history: this.#history,
    });
    this.#tools.wire(client);
    this.#history.follow(client, catchUp, () => this.#client === client && this.#postState());
    client.on('delivery', (update) => this.#onDelivery(update));
    client.on('error', (problem) => {
      // Said once: by join()'s rejection before the room was joined, on close after.
      if (problem.fatal) fatal = problem;
    });
  }

  /** The client stopped by itself after joining (a rejoin the relay refused): let it go and say so, once. */
  #clientClosed(client: ChatClient, code: string, why: string): void {
    const params = this.#params;
    this.#client = undefined;
    this.#stopStats();
    this.#let(client, `the connection ended before it was delivered: ${why}`);
    this.#setConnection('closed', why);
    this.#addSystem(`Disconnected from ${client.room}: ${why}. Join again to continue.`, 'error');
    this.#postState();
    if (params) this.emit('failed', { code, message: why, params });
  }

  /** Lets a client go: no more of its events, its delivery waiters failed with `reason`. */
  #let(client: ChatClient, reason: string): void {
    if (this.#client === client) this.#client = undefined;
    this.#history.noteCovered(client.latestSeq);
    this.#stopStats();
    client.removeAllListeners();
    this.#tools.reset();
    this.#waiters.failAll(reason);
    this.#panel.endIncoming();
  }

  #onDelivery(update: DeliveryUpdate): void {
    const delivery = toDeliveryView(update);
    this.#panel.setDelivery(update.id, delivery);
    this.#waiters.update(update.id, delivery);
  }

  // ---- state -------------------------------------------------------------------------------------------------

  #requireClient(): ChatClient {
    if (!this.#client) throw new ChatClientError('not-joined', 'join a room first (UDP Chat: Join)');
    return this.#client;
  }

  #outgoing(): OutgoingOptions {
    return {
      panel: this.#panel,
      images: this.#images,
      encrypted: () => this.#encrypted,
      current: () => this.#client,
      compressor: () => this.#options.compressor(),
      imageOptions: () => this.#options.imageOptions(),
      failed: (message) => this.#addSystem(message, 'error'),
    };
  }

  #maxReceivedPixels(): number {
    return this.#options.imageOptions().maxInputPixels ?? DEFAULT_COMPRESS_OPTIONS.maxInputPixels;
  }

  #members(): MemberView[] {
    const client = this.#client;
    if (!client) return [];
    return client.members.map((member) => {
      const self = member.id === client.memberId;
      const presence = self ? this.#presence : this.#tools.presenceOf(member.name);
      return { id: member.id, name: member.name, legacy: member.legacy, self, ...(presence !== undefined ? { presence } : {}) };
    });
  }

  #stats(): StatsView | undefined {
    const stats = this.#client?.stats();
    if (!stats) return undefined;
    return { rttMs: stats.pathRttMs ?? stats.heartbeatRttMs, lossPercent: stats.lossPercent, retransmitted: stats.retransmitted, sent: stats.sent };
  }

  #setConnection(state: ConnectionState, detail: string): void {
    this.#connection = state;
    this.#connectionDetail = detail;
    this.#post({ type: 'connection', state, detail });
    this.emit('connection', state, detail);
  }

  #addSystem(text: string, tone: 'info' | 'warning' | 'error'): void {
    this.#panel.addSystem(text, tone, Date.now());
  }

  #postState(): void {
    this.#post({ type: 'state', state: this.snapshot() });
  }

  #post(message: HostMessage): void {
    this.emit('post', message);
  }

  #startStats(): void {
    this.#stopStats();
    this.#statsTimer = setInterval(() => this.#post({ type: 'stats', stats: this.#stats() }), STATS_INTERVAL_MS);
    this.#statsTimer.unref();
  }

  #stopStats(): void {
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
  }
}
