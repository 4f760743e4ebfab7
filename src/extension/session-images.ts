/**
 * The image files behind a conversation: received images saved (checked first) into the save folder, a copy of
 * each image you send saved into the sent folder so the panel can show it inline, the file each message opens full
 * size, and the disk quota over both folders. The panel shows images from these files (never from their bytes), so
 * the host holds no image in memory once it is on disk.
 */
import path from 'node:path';
import type { ChatImage } from '../client/client';
import { saveReceivedImage, type ReceivedImageFile } from '../files/save-image';
import { SaveQuota } from '../files/save-quota';

export interface SessionImagesOptions {
  /** Folder for received images (created when needed), read at each save. */
  saveDir: () => string;
  /** Folder for the copies of images you send, read at each save. */
  sentDir: () => string;
  /** Per folder, bytes of images this extension saved there; read at each save. */
  saveQuotaBytes: () => number;
  /** Files the quota deleted: entries shown from them must say the image is gone. */
  onDeleted: (files: string[]) => void;
  log: (level: 'warn', message: string) => void;
}

/** A copy of an image you send is saved like a received one: same fields, same checks. */
export type SentImage = ReceivedImageFile;

export class SessionImages {
  readonly #options: SessionImagesOptions;
  readonly #quota = new SaveQuota();
  /** Message id -> the file that opens it full size (received: the saved file; sent: the original). */
  readonly #fullSize = new Map<string, string>();
  /** Every folder an inline image has been saved into: the panel may load files from these only. */
  readonly #folders = new Set<string>();

  constructor(options: SessionImagesOptions) {
    this.#options = options;
  }

  /** Checks and saves a received image (at most `maxPixels`); resolves with its file. Throws SaveImageError. */
  async saveReceived(image: ChatImage, maxPixels: number): Promise<string> {
    const file = await saveReceivedImage(this.#options.saveDir(), image, maxPixels);
    this.#fullSize.set(image.id, file);
    this.#track(file, image.data.byteLength);
    return file;
  }

  /**
   * Saves the inline copy of an image you sent; resolves with its file, or undefined when it could not be saved.
   * `original` opens full size; without one (a pasted image, whose bytes are gone once sent) the copy does.
   */
  async saveSent(image: SentImage, original?: string): Promise<string | undefined> {
    if (original !== undefined) this.#fullSize.set(image.id, original);
    try {
      // The compressed JPEG is checked like any other before it is written: the same code path, the same names.
      const file = await saveReceivedImage(this.#options.sentDir(), image, Number.MAX_SAFE_INTEGER);
      this.#track(file, image.data.byteLength);
      return file;
    } catch (error) {
      this.#options.log('warn', `could not keep a copy of the image you sent: ${(error as Error).message}`);
      return undefined;
    }
  }

  fullSize(id: string): string | undefined {
    return this.#fullSize.get(id);
  }

  /** The message left the conversation: its full-size file is no longer offered. */
  forget(id: string): void {
    this.#fullSize.delete(id);
  }

  /** The folders the panel must be allowed to load images from. */
  folders(): string[] {
    const all = new Set([path.resolve(this.#options.saveDir()), path.resolve(this.#options.sentDir()), ...this.#folders]);
    return [...all];
  }

  #track(file: string, bytes: number): void {
    this.#folders.add(path.dirname(file));
    void this.#quota.record(file, bytes, this.#options.saveQuotaBytes(), Date.now()).then((deleted) => {
      if (deleted.length === 0) return;
      const gone = new Set(deleted);
      for (const [id, fullSize] of this.#fullSize) if (gone.has(fullSize)) this.#fullSize.delete(id);
      this.#options.onDeleted(deleted);
    });
  }
}
