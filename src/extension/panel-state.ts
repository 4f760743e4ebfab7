/**
 * What the chat panel shows of a conversation, apart from the connection: the entries (bounded by bytes), the
 * transfers in progress, and the messages that keep a webview in step with both. Every change is posted as it
 * happens; a `ready` gets `entries()` and `transfers()` in the snapshot. No client, no files, no vscode.
 */
import type { DeliveryView, EntryView, HostMessage, TransferView } from '../shared/panel-messages';
import { ConversationHistory, toEntryView, type EntryPatch, type StoredEntry } from './conversation-history';

export interface PanelStateOptions {
  /** Bytes of conversation kept; the oldest entries go first. */
  historyBytes?: number;
  /** The URL the panel loads a saved image file from. */
  imageSrc: (file: string) => string | undefined;
  post: (message: HostMessage) => void;
  /** Entries that left the history (their image files are no longer offered). */
  onDropped: (entries: StoredEntry[]) => void;
  /** An entry was added and shown; `keep`: it belongs in the room's lasting history (system lines mostly do not). */
  onAdded?: (entry: StoredEntry, keep: boolean) => void;
  /** A shown message was delivered, or its image file changed (null: gone). */
  onChanged?: (id: string, change: { delivered?: boolean; imageFile?: string | null }) => void;
}

export class PanelState {
  readonly #options: PanelStateOptions;
  readonly #history: ConversationHistory;
  readonly #transfers = new Map<string, TransferView>();
  #systemCounter = 0;
  /** System lines' ids are unique across runs too (the local history keeps some): this run's start, base 36. */
  readonly #systemPrefix = `sys-${Date.now().toString(36)}`;
  #transferCounter = 0;

  constructor(options: PanelStateOptions) {
    this.#options = options;
    this.#history = new ConversationHistory(options.historyBytes);
  }

  get historyBytes(): number {
    return this.#history.bytes;
  }

  has(id: string): boolean {
    return this.#history.has(id);
  }

  /** Who sent the message shown under `id` (undefined: none, or a system line). */
  senderOf(id: string): string | undefined {
    const entry = this.#history.get(id);
    return entry && entry.kind !== 'system' ? entry.from : undefined;
  }

  /** The delivery state shown for a message, if it is kept and has one. */
  deliveryOf(id: string): DeliveryView | undefined {
    const entry = this.#history.get(id);
    return entry && entry.kind !== 'system' ? entry.delivery : undefined;
  }

  entries(): EntryView[] {
    return this.#history.entries().map((entry) => toEntryView(entry, this.#options.imageSrc));
  }

  /** How the webview gets `entry` (an image's file as a URL), for entries it shows from the local history. */
  view(entry: StoredEntry): EntryView {
    return toEntryView(entry, this.#options.imageSrc);
  }

  /** When the entry shown under `id` was said (ms), if it is kept. */
  timeOf(id: string): number | undefined {
    const entry = this.#history.get(id);
    return entry === undefined ? undefined : entry.kind === 'system' ? entry.at : entry.sentAt;
  }

  /** The saved file an image entry is shown from, if it is kept. */
  imageFileOf(id: string): string | undefined {
    const entry = this.#history.get(id);
    return entry?.kind === 'image' ? entry.image.file : undefined;
  }

  /** The oldest entry kept, if any. */
  oldestId(): string | undefined {
    return this.#history.entries()[0]?.id;
  }

  /** Replaces every entry with `entries` (another room's history, or none), posting nothing: a `state` follows. */
  reset(entries: readonly StoredEntry[]): void {
    const dropped = this.#history.clear();
    if (dropped.length > 0) this.#options.onDropped(dropped);
    for (const entry of entries) this.#history.add(entry);
  }

  transfers(): TransferView[] {
    return [...this.#transfers.values()];
  }

  add(entry: StoredEntry, keep = true): void {
    const dropped = this.#history.add(entry);
    if (dropped === undefined) return;
    if (dropped.length > 0) this.#options.onDropped(dropped);
    this.#options.onAdded?.(entry, keep);
    this.#options.post({ type: 'entry', entry: toEntryView(entry, this.#options.imageSrc) });
  }

  /** A line of the panel's own; `keep`: worth keeping in the room's history (who joined and left). */
  addSystem(text: string, tone: 'info' | 'warning' | 'error', at: number, keep = false): void {
    this.add({ kind: 'system', id: `${this.#systemPrefix}-${++this.#systemCounter}`, text, at, tone }, keep);
  }

  setDelivery(id: string, delivery: DeliveryView): void {
    if (!this.#history.setDelivery(id, delivery)) return;
    if (delivery.state === 'delivered') this.#options.onChanged?.(id, { delivered: true });
    this.#options.post({ type: 'delivery', id, delivery });
  }

  /** The message kept under `id` (not a system line), if any. */
  message(id: string): Exclude<StoredEntry, { kind: 'system' }> | undefined {
    const entry = this.#history.get(id);
    return entry && entry.kind !== 'system' ? entry : undefined;
  }

  /** Changes a shown message (a reaction, an edit, a delete) and posts its new view; false when it is not kept. */
  patch(id: string, patch: EntryPatch): boolean {
    const entry = this.#history.patch(id, patch);
    if (!entry) return false;
    this.#options.post({ type: 'entry', entry: toEntryView(entry, this.#options.imageSrc) });
    return true;
  }

  /** Shows an image entry from `file`, or as gone when undefined. */
  setImageFile(id: string, file: string | undefined): void {
    const entry = this.#history.setImageFile(id, file);
    if (!entry) return;
    this.#options.onChanged?.(id, { imageFile: file ?? null });
    this.#options.post({ type: 'entry', entry: toEntryView(entry, this.#options.imageSrc) });
  }

  /** The quota deleted these files: every entry shown from one says the image is gone. */
  filesDeleted(files: readonly string[]): void {
    for (const file of files) for (const id of this.#history.idsShowing(file)) this.setImageFile(id, undefined);
  }

  /** Opens an outgoing row of unknown length (compressing); returns its id for `endTransfer`. */
  startOutgoing(label: string): string {
    const id = `out-${++this.#transferCounter}`;
    this.setTransfer({ id, direction: 'outgoing', label, progress: undefined });
    return id;
  }

  setTransfer(transfer: TransferView): void {
    this.#transfers.set(transfer.id, transfer);
    this.#options.post({ type: 'transfer', transfer });
  }

  endTransfer(id: string): void {
    if (this.#transfers.delete(id)) this.#options.post({ type: 'transferDone', id });
  }

  /** The client that was receiving is gone: none of its rows will move again. */
  endIncoming(): void {
    for (const id of [...this.#transfers.keys()]) if (id.startsWith('in-')) this.endTransfer(id);
  }
}
