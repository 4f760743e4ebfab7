/**
 * The checks on what the webview hands over for an attachment, before any of it reaches the image worker: its size
 * against the image pipeline's input limit, its magic bytes (the MIME type the webview reports is only a hint), the
 * label it is shown under (a pasted image's is generated; a dropped file's name is only ever a label), and which
 * dropped URIs name a local file. Pure: the time is an argument.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { imageErrorFor } from '../image/errors';
import { sniffImageFormat, type ImageFileFormat } from '../protocol/image-header';

export type BytesCheck = { ok: true; format: ImageFileFormat } | { ok: false; message: string };

/** An image the compressor can read, at most `limit` bytes; otherwise the sentence the preview shows. */
export function checkAttachmentBytes(data: Uint8Array, subject: string, limit: number): BytesCheck {
  if (data.byteLength > limit) return { ok: false, message: imageErrorFor(subject, { code: 'file-too-large', bytes: data.byteLength, limit }).message };
  const format = sniffImageFormat(data);
  if (format === undefined) return { ok: false, message: imageErrorFor(subject, { code: 'unsupported-format' }).message };
  return { ok: true, format };
}

const EXTENSIONS: Record<ImageFileFormat, string> = { png: 'png', jpeg: 'jpg', gif: 'gif', bmp: 'bmp', tiff: 'tif' };

/** "pasted-image-20261202-033712.png": when it was pasted (UTC), and what its bytes are. */
export function pastedImageName(format: ImageFileFormat | undefined, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `pasted-image-${stamp}${format === undefined ? '' : `.${EXTENSIONS[format]}`}`;
}

/** Longest label a preview shows, in UTF-16 units. */
export const LABEL_MAX_CHARS = 120;

/**
 * A file name as a label: its last path segment only, without control, format (bidi, zero-width) or separator
 * characters other than the space, cut to LABEL_MAX_CHARS. Undefined when nothing is left.
 */
export function attachmentLabel(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '').replace(/\p{Zs}/gu, ' ').trim();
  if (clean === '' || clean === '.' || clean === '..') return undefined;
  return clean.length > LABEL_MAX_CHARS ? `${clean.slice(0, LABEL_MAX_CHARS - 1)}…` : clean;
}

export type DroppedUri = { ok: true; file: string; label: string } | { ok: false; label: string; message: string };

/** A dropped URI as a local file path: only `file:` URIs of this machine (no host); anything else, said why. */
export function droppedFile(uri: string): DroppedUri {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, label: 'A dropped item', message: 'A dropped item is not a file UDP Chat can read.' };
  }
  const label = attachmentLabel(safeDecode(url.pathname)) ?? 'A dropped item';
  if (url.protocol !== 'file:') return { ok: false, label, message: `${label} is not a local file (only files on this computer can be sent).` };
  try {
    const file = fileURLToPath(url);
    return { ok: true, file, label: attachmentLabel(path.basename(file)) ?? label };
  } catch {
    return { ok: false, label, message: `${label} is not a local file (only files on this computer can be sent).` };
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
