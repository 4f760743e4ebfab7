/**
 * The conversation the host keeps for the panel, bounded by bytes: when a new entry would pass the budget, the
 * oldest entries go first. Images are kept as the path of their saved file, never as their bytes; the panel turns
 * a path into a webview URL when it posts. Pure: no clock, no files, no vscode.
 */
import type { DeliveryView, EntryView, ImageView, MessageExtras } from '../shared/panel-messages';
import type { SnippetMeta } from '../shared/snippet';

/** An image as the host keeps it: the file that shows it inline (undefined once that file is gone). */
export interface StoredImage {
  file: string | undefined;
  width: number;
  height: number;
  bytes: number;
}

type ImageEntryView = Extract<EntryView, { kind: 'image' }>;
export type StoredImageEntry = Omit<ImageEntryView, 'image'> & { image: StoredImage };
export type StoredEntry = Exclude<EntryView, { kind: 'image' }> | StoredImageEntry;

/**
 * What the host keeps and re-posts on every `ready`, in bytes (UTF-16, as the strings sit in memory): room for a
 * few thousand ordinary messages, or 256 texts at the relay's 16 KiB limit, while a snapshot stays a few MB.
 */
export const DEFAULT_HISTORY_BYTES = 8 * 1024 * 1024;
/** Per entry beyond its strings: the object, its fields and the map slot, in bytes (measured order, not exact). */
const ENTRY_OVERHEAD_BYTES = 200;

/** Bytes an entry takes in the budget: its strings at two bytes a unit, plus a fixed overhead. */
export function entryBytes(entry: StoredEntry): number {
  let units = entry.id.length;
  switch (entry.kind) {
    case 'system':
      units += entry.text.length;
      break;
    case 'text':
      units += entry.from.length + entry.text.length + (entry.delivery?.reason?.length ?? 0) + extrasUnits(entry) + snippetUnits(entry.snippet);
      break;
    case 'image':
      units += entry.from.length + (entry.image.file?.length ?? 0) + (entry.delivery?.reason?.length ?? 0) + extrasUnits(entry);
      break;
    default:
      assertNever(entry);
  }
  return ENTRY_OVERHEAD_BYTES + units * 2;
}

/** UTF-16 units of what replies, reactions and mentions add to a message. */
function extrasUnits(entry: MessageExtras): number {
  let units = (entry.replyTo?.id.length ?? 0) + (entry.replyTo?.from?.length ?? 0) + (entry.replyTo?.excerpt?.length ?? 0);
  for (const name of entry.mentions ?? []) units += name.length;
  for (const reaction of entry.reactions ?? []) {
    units += reaction.emoji.length;
    for (const name of reaction.from) units += name.length;
  }
  return units;
}

/** A snippet's place (path, language, repository), in UTF-16 units: up to a few KB a network peer chooses. */
function snippetUnits(snippet: SnippetMeta | undefined): number {
  if (snippet === undefined) return 0;
  const repo = snippet.repo;
  return snippet.path.length + snippet.language.length + (repo?.remote?.length ?? 0) + (repo?.branch?.length ?? 0) + (repo?.commit?.length ?? 0);
}

/** What a reply, a reaction, an edit or a delete changes in a message. */
export type EntryPatch = MessageExtras & { text?: string };

/** The entry as the webview gets it: an image's file becomes the URL `imageSrc` gives for it. */
export function toEntryView(entry: StoredEntry, imageSrc: (file: string) => string | undefined): EntryView {
  if (entry.kind !== 'image') return entry;
  const { file, ...size } = entry.image;
  const image: ImageView = { src: file === undefined ? undefined : imageSrc(file), ...size };
  return { ...entry, image };
}

export class ConversationHistory {
  readonly #maxBytes: number;
  /** In insertion order, so the first key is the oldest entry. */
  readonly #entries = new Map<string, { entry: StoredEntry; bytes: number }>();
  #bytes = 0;

  constructor(maxBytes = DEFAULT_HISTORY_BYTES) {
    if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive, not ${maxBytes}`);
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  get(id: string): StoredEntry | undefined {
    return this.#entries.get(id)?.entry;
  }

  entries(): StoredEntry[] {
    return [...this.#entries.values()].map((slot) => slot.entry);
  }

  /**
   * Adds an entry (an id already kept is ignored: returns undefined) and drops the oldest ones until the budget
   * holds again; returns those dropped. The newest entry always stays, even alone over the budget.
   */
  add(entry: StoredEntry): StoredEntry[] | undefined {
    if (this.#entries.has(entry.id)) return undefined;
    const bytes = entryBytes(entry);
    this.#entries.set(entry.id, { entry, bytes });
    this.#bytes += bytes;
    const dropped: StoredEntry[] = [];
    for (const [id, slot] of this.#entries) {
      if (this.#bytes <= this.#maxBytes || id === entry.id) break;
      this.#entries.delete(id);
      this.#bytes -= slot.bytes;
      dropped.push(slot.entry);
    }
    return dropped;
  }

  /** Drops every entry; returns them. */
  clear(): StoredEntry[] {
    const dropped = this.entries();
    this.#entries.clear();
    this.#bytes = 0;
    return dropped;
  }

  /** Replaces a message's delivery state; returns the updated entry, or undefined when it is not kept. */
  setDelivery(id: string, delivery: DeliveryView): StoredEntry | undefined {
    const slot = this.#entries.get(id);
    if (!slot || slot.entry.kind === 'system') return undefined;
    return this.#replace(slot, { ...slot.entry, delivery });
  }

  /** Points an image entry at its saved file, or at none (the file was deleted); returns the updated entry. */
  setImageFile(id: string, file: string | undefined): StoredEntry | undefined {
    const slot = this.#entries.get(id);
    if (!slot || slot.entry.kind !== 'image') return undefined;
    return this.#replace(slot, { ...slot.entry, image: { ...slot.entry.image, file } });
  }

  /** Applies `patch` to a message (a text only to a text entry); returns the updated entry, or undefined when not kept. */
  patch(id: string, patch: EntryPatch): StoredEntry | undefined {
    const slot = this.#entries.get(id);
    if (!slot || slot.entry.kind === 'system') return undefined;
    const { text, ...extras } = patch;
    const entry: StoredEntry = slot.entry.kind === 'text' && text !== undefined ? { ...slot.entry, ...extras, text } : { ...slot.entry, ...extras };
    return this.#replace(slot, entry);
  }

  /** Ids of the image entries shown from `file`. */
  idsShowing(file: string): string[] {
    const ids: string[] = [];
    for (const { entry } of this.#entries.values()) if (entry.kind === 'image' && entry.image.file === file) ids.push(entry.id);
    return ids;
  }

  #replace(slot: { entry: StoredEntry; bytes: number }, entry: StoredEntry): StoredEntry {
    const bytes = entryBytes(entry);
    this.#bytes += bytes - slot.bytes;
    slot.entry = entry;
    slot.bytes = bytes;
    return entry;
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected entry ${JSON.stringify(value)}`);
}
