/**
 * Images pasted into the composer or dropped onto the chat, from their bytes (or file) to the room: each is checked
 * (size, magic bytes, a local file), compressed by the same worker as Send Image with the same "Compressing" row,
 * written to a temporary file under the extension's storage and shown as a preview from it (a webview-resource URL,
 * as every image is), then sent only when the user presses Send; Cancel aborts the compression or drops the preview.
 * Several images make several previews, each sent or cancelled on its own. No vscode import: tested with a real
 * compressor and no editor.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CompressedImage, CompressOptions, ImageCompressor } from '../image';
import { DEFAULT_MAX_FILE_BYTES } from '../image';
import type { AttachmentView } from '../shared/attachment-messages';
import type { HostMessage, TransferView } from '../shared/panel-messages';
import { TypedEmitter } from '../util/typed-emitter';
import { attachmentLabel, checkAttachmentBytes, droppedFile, pastedImageName } from './attachment-bytes';

/** Previews left by a window that crashed are removed when a new one starts after this long (ms). */
const STALE_PREVIEW_MS = 24 * 60 * 60 * 1000;

export interface AttachmentsOptions {
  /** Where the previews' temporary files go (created when needed); the webview must be allowed to load from it. */
  folder: string;
  compressor: () => Pick<ImageCompressor, 'compressBytes' | 'compressFile'>;
  imageOptions: () => Partial<CompressOptions>;
  /** The URL a webview loads a file from; undefined while no webview is there (the next `ready` gets it). */
  imageSrc: (file: string) => string | undefined;
  /** Sends a confirmed image to the room (ChatSession.sendCompressedImage); throws when it cannot. */
  send: (image: CompressedImage, original?: string) => string;
  log: (level: 'info' | 'warn', message: string) => void;
  /** Wall-clock time for generated names (ms). */
  now?: () => number;
  /** Bytes refused before compression; the image pipeline's input limit. */
  maxBytes?: number;
}

interface Pending {
  id: string;
  requestId: number | undefined;
  label: string;
  state: AttachmentView['state'];
  abort: AbortController;
  transferId: string;
  /** Its "Compressing" row is shown. */
  rowOpen: boolean;
  image?: CompressedImage;
  /** The preview's temporary file (`ready`). */
  preview?: string;
  /** A dropped file opens full size from where it is; a pasted image has no file but its preview. */
  original?: string;
  error?: string;
}

export type AttachmentsEvents = { post: [message: HostMessage] };

export class Attachments extends TypedEmitter<AttachmentsEvents> {
  readonly #options: AttachmentsOptions;
  readonly #pending = new Map<string, Pending>();
  #counter = 0;
  #disposed = false;

  constructor(options: AttachmentsOptions) {
    super();
    this.#options = options;
    void this.#sweep();
  }

  get folder(): string {
    return this.#options.folder;
  }

  /** How many previews (or compressions) are waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /** The bytes of a pasted or dropped file: checked, then compressed into a preview. */
  attachBytes(requestId: number, name: string | undefined, data: Uint8Array): string {
    const label = attachmentLabel(name);
    const check = checkAttachmentBytes(data, label ?? 'The pasted image', this.#options.maxBytes ?? DEFAULT_MAX_FILE_BYTES);
    const pending = this.#start(requestId, label ?? pastedImageName(check.ok ? check.format : undefined, this.#now()));
    if (!check.ok) return this.#fail(pending, check.message);
    const { compressor, imageOptions } = this.#options;
    this.#compress(pending, () => compressor().compressBytes(data, imageOptions(), pending.abort.signal, pending.label));
    return pending.id;
  }

  /** Files dropped from the Explorer: only local files, not folders, each compressed into a preview of its own. */
  attachUris(requestId: number, uris: readonly string[]): string[] {
    return uris.map((uri) => {
      const dropped = droppedFile(uri);
      const pending = this.#start(requestId, dropped.label);
      if (!dropped.ok) return this.#fail(pending, dropped.message);
      pending.original = dropped.file;
      const { compressor, imageOptions } = this.#options;
      this.#compress(pending, async () => {
        const stat = await fs.promises.stat(dropped.file).catch(() => undefined);
        if (stat === undefined) throw new Error(`${pending.label} could not be read: the file does not exist`);
        if (stat.isDirectory()) throw new Error(`${pending.label} is a folder, not an image`);
        return compressor().compressFile(dropped.file, imageOptions(), pending.abort.signal);
      });
      return pending.id;
    });
  }

  /** The user pressed Send on a preview: it goes to the room and the preview goes away. */
  send(id: string): void {
    const pending = this.#pending.get(id);
    if (pending?.state !== 'ready' || pending.image === undefined) return;
    try {
      this.#options.send(pending.image, pending.original);
    } catch (error) {
      pending.error = (error as Error).message;
      this.#postView(pending);
      return;
    }
    this.#remove(pending);
  }

  /** The user pressed Cancel (or Escape): a compression is aborted, a preview dropped; nothing is sent. */
  cancel(id: string): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    pending.abort.abort();
    this.#remove(pending);
  }

  /** What a page that just said `ready` needs besides the session's state: the rows and previews in progress. */
  replay(): HostMessage[] {
    const messages: HostMessage[] = [];
    for (const pending of this.#pending.values()) {
      if (pending.rowOpen) messages.push({ type: 'transfer', transfer: this.#transfer(pending) });
      messages.push({ type: 'attachment', attachment: this.#view(pending) });
    }
    return messages;
  }

  /** Aborts every compression and deletes every preview file. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of all) pending.abort.abort();
    await Promise.all(all.map((pending) => this.#deletePreview(pending)));
    this.removeAllListeners();
  }

  #start(requestId: number | undefined, label: string): Pending {
    const id = `att-${(++this.#counter).toString(36)}`;
    const pending: Pending = { id, requestId, label, state: 'compressing', abort: new AbortController(), transferId: `${id}-compress`, rowOpen: false };
    this.#pending.set(id, pending);
    return pending;
  }

  #fail(pending: Pending, message: string): string {
    pending.state = 'failed';
    pending.error = message;
    this.#options.log('warn', `attachment refused: ${message}`);
    this.#postView(pending);
    return pending.id;
  }

  #compress(pending: Pending, run: () => Promise<CompressedImage>): void {
    this.#postView(pending);
    pending.rowOpen = true;
    this.#post({ type: 'transfer', transfer: this.#transfer(pending) });
    void run()
      .then(async (image) => {
        if (!this.#live(pending)) return;
        const preview = path.join(this.#options.folder, `${randomBytes(8).toString('hex')}.jpg`);
        await fs.promises.mkdir(this.#options.folder, { recursive: true });
        await fs.promises.writeFile(preview, image.data);
        if (!this.#live(pending)) {
          await fs.promises.rm(preview, { force: true });
          return;
        }
        pending.image = image;
        pending.preview = preview;
        pending.state = 'ready';
        this.#postView(pending);
      })
      .catch((error: unknown) => {
        if (!this.#live(pending)) return;
        this.#fail(pending, error instanceof Error ? error.message : String(error));
      })
      .finally(() => this.#endRow(pending));
  }

  #endRow(pending: Pending): void {
    if (!pending.rowOpen) return;
    pending.rowOpen = false;
    this.#post({ type: 'transferDone', id: pending.transferId });
  }

  #live(pending: Pending): boolean {
    return !this.#disposed && this.#pending.get(pending.id) === pending;
  }

  #remove(pending: Pending): void {
    this.#pending.delete(pending.id);
    this.#endRow(pending);
    this.#post({ type: 'attachmentGone', id: pending.id });
    void this.#deletePreview(pending);
  }

  async #deletePreview(pending: Pending): Promise<void> {
    if (pending.preview === undefined) return;
    await fs.promises.rm(pending.preview, { force: true }).catch((error: unknown) => this.#options.log('warn', `could not delete a preview: ${String(error)}`));
  }

  #view(pending: Pending): AttachmentView {
    const view: AttachmentView = { id: pending.id, label: pending.label, state: pending.state };
    if (pending.requestId !== undefined) view.requestId = pending.requestId;
    if (pending.error !== undefined) view.error = pending.error;
    if (pending.state === 'ready' && pending.image !== undefined && pending.preview !== undefined) {
      const src = this.#options.imageSrc(pending.preview);
      if (src !== undefined) view.src = src;
      view.width = pending.image.width;
      view.height = pending.image.height;
      view.bytes = pending.image.data.byteLength;
    }
    return view;
  }

  #transfer(pending: Pending): TransferView {
    return { id: pending.transferId, direction: 'outgoing', label: `Compressing ${pending.label}`, progress: undefined };
  }

  #postView(pending: Pending): void {
    this.#post({ type: 'attachment', attachment: this.#view(pending) });
  }

  #post(message: HostMessage): void {
    if (!this.#disposed) this.emit('post', message);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** Previews a crashed window left behind; another window's fresh ones are younger than a day and stay. */
  async #sweep(): Promise<void> {
    const folder = this.#options.folder;
    const names = await fs.promises.readdir(folder).catch(() => [] as string[]);
    const cutoff = this.#now() - STALE_PREVIEW_MS;
    for (const name of names) {
      if (!/^[0-9a-f]{16}\.jpg$/.test(name)) continue;
      const file = path.join(folder, name);
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (stat !== undefined && stat.mtimeMs < cutoff) await fs.promises.rm(file, { force: true }).catch(() => undefined);
    }
  }
}
