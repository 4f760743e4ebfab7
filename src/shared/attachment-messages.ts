/**
 * Images pasted into the composer or dropped onto the chat, between the webview and the host: what the webview sends
 * (the bytes of a pasted or dropped file, or the URIs of a drop from the Explorer), the preview the host posts back
 * once the image went through the same worker compression as Send Image, and the guards of both. Nothing is sent to
 * the room before the user presses Send on the preview. Types and guards only, compiled into both sides.
 */
import { isObject, isString } from './panel-view-guards';

/**
 * Largest image the webview may hand over, in bytes: the image pipeline's own input limit (DEFAULT_MAX_FILE_BYTES,
 * 100 MiB; a unit test keeps the two equal). The webview refuses larger files before reading them; the host refuses
 * them again with the same words.
 */
export const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024;
/** Most URIs one drop may name; a drop of a whole folder's worth is refused beyond this. */
export const MAX_DROPPED_URIS = 32;
/** Longest URI of a dropped file, in UTF-16 units. */
const MAX_URI_CHARS = 4096;
/** Longest file name the webview may report (only ever shown as a label, never used as a path). */
export const MAX_ATTACHMENT_NAME_CHARS = 255;
/** Longest error text a preview shows. */
const MAX_ERROR_CHARS = 2000;
/** Longest preview URL: a webview-resource URL of a file path. */
const MAX_PREVIEW_URL_CHARS = 8192;

/** The image types the compressor reads (PNG, JPEG, GIF, BMP, TIFF), as browsers name them. */
export const ATTACHMENT_MIME_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/bmp', 'image/x-ms-bmp', 'image/tiff'];

/** A pasted or dropped image on its way to being sent. */
export interface AttachmentView {
  /** The host's id for it: what Send and Cancel name. */
  id: string;
  /** The webview's `requestId` of the paste or drop that made it (undefined for Explorer URIs). */
  requestId?: number;
  /** What the preview calls it: a generated name for a pasted image, the file's base name for a dropped one. */
  label: string;
  /** `compressing`: in the worker (Cancel aborts it); `ready`: the preview can be sent; `failed`: `error` says why. */
  state: 'compressing' | 'ready' | 'failed';
  /** The compressed image, as a webview-resource URL of its temporary file (`ready` only). */
  src?: string;
  /** The compressed image's size in pixels and bytes (`ready` only). */
  width?: number;
  height?: number;
  bytes?: number;
  /** A sentence for the user: why compression failed, or why the last Send was refused. */
  error?: string;
}

/** Webview → host. */
export type AttachmentRequest =
  /** The bytes of a pasted or dropped image file; `name` is only a label, `mime` only a hint (the bytes decide). */
  | { type: 'attachImage'; requestId: number; name?: string; mime: string; data: Uint8Array }
  /** Files dropped from the Explorer (or another window), as URIs: only `file:` ones are read. */
  | { type: 'attachUris'; requestId: number; uris: string[] }
  /** Send the previewed image to the room. */
  | { type: 'sendAttachment'; id: string }
  /** Drop the preview, or abort its compression. */
  | { type: 'cancelAttachment'; id: string };

/** Host → webview. */
export type AttachmentNotice = { type: 'attachment'; attachment: AttachmentView } | { type: 'attachmentGone'; id: string };

const ATTACHMENT_ID = /^att-[0-9a-z]{1,24}$/;

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

export function isAttachmentId(value: unknown): value is string {
  return isString(value, 40) && ATTACHMENT_ID.test(value);
}

/** A MIME type the compressor reads (case-insensitive, parameters not allowed). */
export function isAttachmentMime(mime: string): boolean {
  return ATTACHMENT_MIME_TYPES.includes(mime.toLowerCase());
}

/** The webview's half of an attachment request; the host checks size, magic bytes and URIs itself. */
export function isAttachmentRequest(value: Record<string, unknown>): boolean {
  switch (value.type) {
    case 'attachImage':
      return (
        isCount(value.requestId) &&
        (value.name === undefined || isString(value.name, MAX_ATTACHMENT_NAME_CHARS)) &&
        isString(value.mime, 100) &&
        value.data instanceof Uint8Array
      );
    case 'attachUris':
      return (
        isCount(value.requestId) &&
        Array.isArray(value.uris) &&
        value.uris.length > 0 &&
        value.uris.length <= MAX_DROPPED_URIS &&
        value.uris.every((uri) => isString(uri, MAX_URI_CHARS) && uri.length > 0)
      );
    case 'sendAttachment':
    case 'cancelAttachment':
      return isAttachmentId(value.id);
    default:
      return false;
  }
}

/** Previews load only over http(s) (what `asWebviewUri` gives): never data:, blob: or a path; the CSP does the rest. */
function isPreviewUrl(value: unknown): value is string {
  return isString(value, MAX_PREVIEW_URL_CHARS) && /^https?:\/\/[^\s"'<>]+$/i.test(value);
}

export function isAttachmentView(value: unknown): value is AttachmentView {
  if (!isObject(value) || !isAttachmentId(value.id) || !isString(value.label, MAX_ATTACHMENT_NAME_CHARS)) return false;
  if (value.requestId !== undefined && !isCount(value.requestId)) return false;
  if (value.state !== 'compressing' && value.state !== 'ready' && value.state !== 'failed') return false;
  if (value.src !== undefined && !isPreviewUrl(value.src)) return false;
  for (const size of [value.width, value.height, value.bytes]) if (size !== undefined && !isCount(size)) return false;
  return value.error === undefined || isString(value.error, MAX_ERROR_CHARS);
}
