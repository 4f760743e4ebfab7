/**
 * Saving a received image. Nothing from the network becomes a path: the file name is made from the time, a
 * sanitized sender name and the message id, inside a folder the user chose; an existing file is never overwritten.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { probeImage } from '../protocol/image-header';

export interface ReceivedImageFile {
  id: string;
  from: string;
  sentAt: number;
  data: Uint8Array;
  /** Dimensions the sender declared; the file's own header must agree. */
  width: number;
  height: number;
}

export class SaveImageError extends Error {
  constructor(
    readonly code: 'not-an-image' | 'dimensions-mismatch' | 'too-many-pixels' | 'write-failed',
    message: string,
  ) {
    super(message);
  }
}

/** Longest sanitized sender part of a file name, in characters. */
const MAX_SENDER_CHARS = 32;
/** Attempts at a unique name before giving up (a clash needs the same second, sender and message id). */
const MAX_NAME_ATTEMPTS = 100;

/** A sender name reduced to characters every file system accepts: ASCII letters, digits, '-' and '_'. */
export function sanitizeForFileName(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, MAX_SENDER_CHARS);
  return ascii.length > 0 ? ascii : 'member';
}

function timestampPart(ms: number): string {
  const date = new Date(Number.isFinite(ms) ? ms : Date.now());
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/**
 * Checks the bytes are the image they claim to be (format from the header, dimensions equal to the declared ones,
 * at most `maxPixels`) and writes them under `directory`. Returns the absolute path written.
 */
export async function saveReceivedImage(directory: string, image: ReceivedImageFile, maxPixels: number): Promise<string> {
  const probe = probeImage(image.data);
  if (!probe || (probe.format !== 'jpeg' && probe.format !== 'png')) {
    throw new SaveImageError('not-an-image', `the image from ${image.from} is not a JPEG or PNG file; it was not saved`);
  }
  if (probe.width !== image.width || probe.height !== image.height) {
    throw new SaveImageError(
      'dimensions-mismatch',
      `the image from ${image.from} claims ${image.width}x${image.height} but is ${probe.width}x${probe.height}; it was not saved`,
    );
  }
  if (probe.width * probe.height > maxPixels) {
    throw new SaveImageError('too-many-pixels', `the image from ${image.from} has more than ${maxPixels} pixels; it was not saved`);
  }
  const folder = path.resolve(directory);
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (error) {
    throw new SaveImageError('write-failed', `could not save the image from ${image.from}: ${(error as Error).message}`);
  }
  const extension = probe.format === 'png' ? 'png' : 'jpg';
  const idPart = image.id.replace(/[^0-9a-f]/gi, '').slice(0, 16) || 'image';
  const base = `${timestampPart(image.sentAt)}-${sanitizeForFileName(image.from)}-${idPart}`;
  for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
    const file = path.join(folder, `${base}${attempt === 0 ? '' : `-${attempt}`}.${extension}`);
    // Belt and braces: the name is built from safe characters only, but never write outside the folder.
    if (path.dirname(file) !== folder) throw new SaveImageError('write-failed', 'refusing to write outside the save folder');
    try {
      await fs.writeFile(file, image.data, { flag: 'wx' });
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new SaveImageError('write-failed', `could not save the image from ${image.from}: ${(error as Error).message}`);
    }
  }
  throw new SaveImageError('write-failed', `could not find a free file name for the image from ${image.from}`);
}
