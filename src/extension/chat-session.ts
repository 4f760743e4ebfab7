/**
 * The conversation as the chat panel shows it: one ChatClient, the entries of the conversation, transfers in
 * progress, and the member list, kept in the extension host so that a panel that is hidden, shown or reloaded
 * loses nothing. It speaks the panel's protocol (src/shared/panel-messages.ts) but does not import vscode, so it is
 * tested with real sockets and no editor.
 */
import path from 'node:path';
import { ChatClient, ChatClientError, type ChatImage, type ChatText, type DeliveryUpdate, type ReadyInfo } from '../client/client';
import { saveReceivedImage } from '../files/save-image';
import { ImageError, type CompressOptions, type ImageCompressor } from '../image';
import { DEFAULT_MAX_TEXT_BYTES } from '../protocol/constants';
import { formatHostPort } from '../protocol/address';
import { ImageFormat } from '../protocol/payload';
import type {
  ChatStateView,
  ConnectionState,
  DeliveryView,
  EntryView,
  HostMessage,
  MemberView,
  StatsView,
  TransferView,
} from '../shared/panel-messages';
import { TypedEmitter } from '../util/typed-emitter';

export interface JoinParameters {
  relayHost: string;
  relayPort: number;
  name: string;
  room: string;
  /** Empty or undefined: an open, unencrypted room. */
  passphrase?: string;
}

export interface ChatSessionOptions {
  /** Folder for received images (created when needed), read when an image arrives. */
  saveDir: () => string;
  /** The image compressor, created on first use. */
  compressor: () => ImageCompressor;
  /** Current image settings, read when an image is sent. */
  imageOptions: () => Partial<CompressOptions>;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /** Entries kept for the panel; older ones are dropped. */
  maxEntries?: number;
  /** Passed to the ChatClient (tests shorten timers). */
  clientOptions?: Partial<ConstructorParameters<typeof ChatClient>[0]>;
}

export type ChatSessionEvents = {
  /** A message for the panel. */
  post: [message: HostMessage];
  connection: [state: ConnectionState, detail: string];
  /** A message from someone else arrived (for notifications while the panel is hidden). */
  incoming: [from: string, preview: string];
};

/** Enough history for a working day of a busy room, bounded so the panel's state stays small. */
const DEFAULT_MAX_ENTRIES = 1000;
/** How often transport statistics are pushed to the panel while connected (ms). */
const STATS_INTERVAL_MS = 2000;
/** Largest image (pixels) accepted from the network; larger ones are refused without decoding. */
const MAX_RECEIVED_PIXELS = 50_000_000;

export class ChatSession extends TypedEmitter<ChatSessionEvents> {
  readonly #options: ChatSessionOptions;
  readonly #entries: EntryView[] = [];
  readonly #entryIndex = new Map<string, EntryView>();
  readonly #transfers = new Map<string, TransferView>();
  /** Image message id -> file that shows it full size (received: the saved file; sent: the original). */
  readonly #imageFiles = new Map<string, string>();
  #client: ChatClient | undefined;
  #params: JoinParameters | undefined;
  #connection: ConnectionState = 'disconnected';
  #encrypted = false;
  #connectionDetail = 'not joined';
  #statsTimer: NodeJS.Timeout | undefined;
  #systemCounter = 0;
  #transferCounter = 0;

  constructor(options: ChatSessionOptions) {
    super();
    this.#options = options;
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

  /** Joins (leaving any current room first). Resolves when ready; rejects when the relay refuses. */
  async join(params: JoinParameters): Promise<ReadyInfo> {
    await this.leave();
    const client = new ChatClient({
      relayHost: params.relayHost,
      relayPort: params.relayPort,
      name: params.name,
      room: params.room,
      passphrase: params.passphrase || undefined,
      log: (level, message) => this.#options.log(level, message),
      ...this.#options.clientOptions,
    });
    this.#client = client;
    this.#params = { relayHost: params.relayHost, relayPort: params.relayPort, name: client.name, room: client.room };
    this.#encrypted = Boolean(params.passphrase);
    this.#wire(client);
    this.#setConnection('connecting', `joining ${client.room} at ${formatHostPort(params.relayHost, params.relayPort)}`);
    this.#postState();
    try {
      const ready = await client.connect();
      this.#startStats();
      return ready;
    } catch (error) {
      if (this.#client === client) {
        this.#client = undefined;
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
    client.removeAllListeners();
    this.#setConnection('disconnected', 'left the room');
    this.#addSystem(`You left ${client.room}.`, 'info');
    this.#postState();
  }

  /** Sends a text; returns its id, or throws ChatClientError (not joined, empty, too large). */
  sendText(text: string): string {
    const client = this.#requireClient();
    const id = client.sendText(text);
    this.#addEntry({
      kind: 'text',
      id,
      from: client.name,
      own: true,
      text,
      sentAt: Date.now(),
      legacy: false,
      encrypted: this.#encrypted,
      delivery: { state: client.state === 'connected' ? 'sending' : 'queued', progress: 0 },
    });
    return id;
  }

  /**
   * Compresses an image file (in the worker) and sends it. `onStage` reports progress for a notification.
   * Resolves with the message id once it is queued; throws ImageError or ChatClientError.
   */
  async sendImageFile(file: string, onStage?: (stage: 'compressing' | 'sending') => void): Promise<string> {
    const client = this.#requireClient();
    const transferId = `out-${++this.#transferCounter}`;
    const label = path.basename(file);
    this.#setTransfer({ id: transferId, direction: 'outgoing', label: `Compressing ${label}`, progress: undefined });
    onStage?.('compressing');
    try {
      const image = await this.#options.compressor().compressFile(file, this.#options.imageOptions());
      if (this.#client !== client) throw new ChatClientError('not-joined', 'you left the room before the image was ready');
      const id = client.sendImage({ data: image.data, width: image.width, height: image.height, format: ImageFormat.Jpeg });
      onStage?.('sending');
      this.#imageFiles.set(id, file);
      this.#addEntry({
        kind: 'image',
        id,
        from: client.name,
        own: true,
        image: { src: dataUri(image.data, 'image/jpeg'), width: image.width, height: image.height, bytes: image.data.length },
        sentAt: Date.now(),
        legacy: false,
        encrypted: this.#encrypted,
        delivery: { state: client.state === 'connected' ? 'sending' : 'queued', progress: 0 },
      });
      return id;
    } catch (error) {
      const message = error instanceof ImageError || error instanceof ChatClientError ? error.message : `could not send ${label}: ${String(error)}`;
      this.#addSystem(message, 'error');
      throw error;
    } finally {
      this.#endTransfer(transferId);
    }
  }

  /** Resends a failed message. */
  retry(id: string): boolean {
    return this.#client?.retry(id) ?? false;
  }

  /** The file showing an image message full size, if known. */
  imageFile(id: string): string | undefined {
    return this.#imageFiles.get(id);
  }

  /** Waits until message `id` is delivered or failed (for progress notifications). */
  waitForDelivery(id: string, onProgress?: (progress: number) => void): Promise<DeliveryView> {
    const client = this.#client;
    const entry = this.#entryIndex.get(id);
    const current = entry && entry.kind !== 'system' ? entry.delivery : undefined;
    if (!client || (current && (current.state === 'delivered' || current.state === 'failed'))) {
      return Promise.resolve(current ?? { state: 'failed', progress: 0, reason: 'not joined' });
    }
    return new Promise((resolve) => {
      const clientOnDelivery = (update: DeliveryUpdate): void => {
        if (update.id !== id) return;
        onProgress?.(update.progress);
        if (update.state === 'delivered' || update.state === 'failed') {
          client.off('delivery', clientOnDelivery);
          resolve(toDeliveryView(update));
        }
      };
      client.on('delivery', clientOnDelivery);
    });
  }

  snapshot(): ChatStateView {
    const client = this.#client;
    return {
      connection: this.#connection,
      connectionDetail: this.#connectionDetail,
      self: client?.name ?? this.#params?.name,
      room: client?.room ?? this.#params?.room,
      relay: this.#params ? formatHostPort(this.#params.relayHost, this.#params.relayPort) : undefined,
      encrypted: this.#encrypted,
      members: this.#members(),
      entries: [...this.#entries],
      transfers: [...this.#transfers.values()],
      stats: this.#stats(),
      maxTextBytes: client?.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES,
    };
  }

  /** Closes without waiting long (extension deactivation). */
  async dispose(): Promise<void> {
    this.#stopStats();
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      await client.leave();
      client.removeAllListeners();
    }
    this.removeAllListeners();
  }

  // ---- client events -----------------------------------------------------------------------------------------

  #wire(client: ChatClient): void {
    client.on('state', (state, detail) => {
      if (this.#client !== client) return;
      const wasReconnecting = this.#connection === 'reconnecting';
      this.#setConnection(state, detail);
      if (state === 'reconnecting') this.#addSystem(`Connection lost: ${detail}. Reconnecting…`, 'warning');
      if (state === 'connected' && wasReconnecting) this.#addSystem('Reconnected.', 'info');
    });
    client.on('ready', (info) => {
      if (this.#client !== client) return;
      if (!info.rejoined) {
        const others = info.members.filter((member) => member.id !== info.memberId).map((member) => member.name);
        this.#addSystem(
          `You joined ${info.room} as ${info.name}. ${others.length === 0 ? 'Nobody else is here yet.' : `Here: ${others.join(', ')}.`}`,
          'info',
        );
      }
      this.#post({ type: 'members', members: this.#members() });
      this.#postState();
    });
    client.on('memberJoined', (member) => {
      this.#addSystem(`${member.name} joined${member.legacy ? ' (legacy client)' : ''}.`, 'info');
      this.#post({ type: 'members', members: this.#members() });
    });
    client.on('memberLeft', (member, reason) => {
      this.#addSystem(`${member.name} left${reason === 'quit' ? '' : ` (${reason})`}.`, 'info');
      this.#post({ type: 'members', members: this.#members() });
    });
    client.on('message', (message) => this.#onText(message));
    client.on('image', (image) => void this.#onImage(image));
    client.on('incoming', (progress) => {
      if (progress.kind !== 'image') return;
      const id = `in-${progress.id}`;
      this.#setTransfer({
        id,
        direction: 'incoming',
        label: `Receiving an image from ${progress.from}`,
        progress: progress.receivedFragments / progress.totalFragments,
      });
    });
    client.on('delivery', (update) => {
      const entry = this.#entryIndex.get(update.id);
      if (!entry || entry.kind === 'system') return;
      entry.delivery = toDeliveryView(update);
      this.#post({ type: 'delivery', id: update.id, delivery: entry.delivery });
    });
    client.on('error', (problem) => {
      if (problem.messageId) this.#endTransfer(`in-${problem.messageId}`);
      // Fatal join errors are reported by join()'s rejection.
      if (!problem.fatal) this.#addSystem(problem.message, 'warning');
    });
  }

  #onText(message: ChatText): void {
    this.#addEntry({
      kind: 'text',
      id: message.id,
      from: message.from,
      own: false,
      text: message.text,
      sentAt: message.sentAt,
      legacy: message.legacy,
      encrypted: message.encrypted,
    });
    this.emit('incoming', message.from, message.text);
  }

  async #onImage(image: ChatImage): Promise<void> {
    this.#endTransfer(`in-${image.id}`);
    try {
      const file = await saveReceivedImage(this.#options.saveDir(), image, MAX_RECEIVED_PIXELS);
      this.#imageFiles.set(image.id, file);
    } catch (error) {
      // Not a valid image (or not writable): show nothing of it, say why.
      this.#addSystem((error as Error).message, 'error');
      return;
    }
    const mime = image.format === ImageFormat.Png ? 'image/png' : 'image/jpeg';
    this.#addEntry({
      kind: 'image',
      id: image.id,
      from: image.from,
      own: false,
      image: { src: dataUri(image.data, mime), width: image.width, height: image.height, bytes: image.data.length },
      sentAt: image.sentAt,
      legacy: image.legacy,
      encrypted: image.encrypted,
    });
    this.emit('incoming', image.from, 'sent an image');
  }

  // ---- state -------------------------------------------------------------------------------------------------

  #requireClient(): ChatClient {
    if (!this.#client) throw new ChatClientError('not-joined', 'join a room first (UDP Chat: Join)');
    return this.#client;
  }

  #members(): MemberView[] {
    const client = this.#client;
    if (!client) return [];
    return client.members.map((member) => ({ id: member.id, name: member.name, legacy: member.legacy, self: member.id === client.memberId }));
  }

  #stats(): StatsView | undefined {
    const stats = this.#client?.stats();
    if (!stats) return undefined;
    return { rttMs: stats.srttMs ?? stats.heartbeatRttMs, lossPercent: stats.lossPercent, retransmitted: stats.retransmitted, sent: stats.sent };
  }

  #setConnection(state: ConnectionState, detail: string): void {
    this.#connection = state;
    this.#connectionDetail = detail;
    this.#post({ type: 'connection', state, detail });
    this.emit('connection', state, detail);
  }

  #addEntry(entry: EntryView): void {
    if (this.#entryIndex.has(entry.id)) return;
    this.#entries.push(entry);
    this.#entryIndex.set(entry.id, entry);
    const max = this.#options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    while (this.#entries.length > max) {
      const dropped = this.#entries.shift();
      if (dropped) {
        this.#entryIndex.delete(dropped.id);
        this.#imageFiles.delete(dropped.id);
      }
    }
    this.#post({ type: 'entry', entry });
  }

  #addSystem(text: string, tone: 'info' | 'warning' | 'error'): void {
    this.#addEntry({ kind: 'system', id: `sys-${++this.#systemCounter}`, text, at: Date.now(), tone });
  }

  #setTransfer(transfer: TransferView): void {
    this.#transfers.set(transfer.id, transfer);
    this.#post({ type: 'transfer', transfer });
  }

  #endTransfer(id: string): void {
    if (this.#transfers.delete(id)) this.#post({ type: 'transferDone', id });
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

function toDeliveryView(update: DeliveryUpdate): DeliveryView {
  const view: DeliveryView = { state: update.state, progress: update.progress };
  if (update.reason) view.reason = update.reason;
  return view;
}

function dataUri(bytes: Uint8Array, mime: 'image/jpeg' | 'image/png'): string {
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}
