/**
 * The one error type image compression rejects with. `code` is for programs; `message` is a sentence a user can read
 * and is shown as is, so it names the file and says what to do about it where there is something to do.
 */
import { probeImageDetails, sniffImageFormat, type ImageFileFormat, type ImageProbeDetails } from '../protocol/image-header';

export type ImageErrorCode =
  | 'unreadable'
  | 'unsupported-format'
  | 'corrupt'
  | 'too-many-pixels'
  | 'file-too-large'
  | 'worker-failed'
  | 'timeout'
  | 'aborted';

export class ImageError extends Error {
  override readonly name = 'ImageError';

  constructor(
    readonly code: ImageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isImageError(value: unknown): value is ImageError {
  return value instanceof ImageError;
}

/** How a message refers to the input: a file's base name, or this when the bytes came without one. */
export const UNNAMED_SUBJECT = 'This file';

const FORMAT_NAMES: Record<ImageFileFormat, string> = {
  png: 'PNG',
  jpeg: 'JPEG',
  gif: 'GIF',
  bmp: 'BMP',
  tiff: 'TIFF',
};

export const SUPPORTED_FORMATS_TEXT = 'PNG, JPEG, GIF, BMP, TIFF';

/** What went wrong, as data: built where it is found (main thread or worker), worded where the name is known. */
export type ImageProblem =
  | { code: 'unreadable'; reason: string }
  | { code: 'unsupported-format' }
  | { code: 'corrupt'; format?: ImageFileFormat; reason: string }
  | { code: 'too-many-pixels'; width: number; height: number; decodedPixels: number; limit: number }
  | { code: 'file-too-large'; bytes: number; limit: number }
  | { code: 'worker-failed'; reason: string }
  | { code: 'timeout'; afterMs: number }
  /** The caller's AbortSignal fired (the user cancelled a pasted image's preview). */
  | { code: 'aborted' };

/**
 * The checks made from the header alone, before any decoder runs: a known format, a readable header, and no more
 * pixels than allowed. Both threads make them: the main thread to refuse early, the worker because it decodes.
 */
export function checkHeader(
  bytes: Uint8Array,
  maxInputPixels: number,
): { ok: true; probe: ImageProbeDetails } | { ok: false; problem: ImageProblem } {
  const probe = probeImageDetails(bytes);
  if (!probe) {
    const format = sniffImageFormat(bytes);
    const problem: ImageProblem = format
      ? { code: 'corrupt', format, reason: 'its header is unreadable' }
      : { code: 'unsupported-format' };
    return { ok: false, problem };
  }
  if (probe.decodedPixels > maxInputPixels) {
    const { width, height, decodedPixels } = probe;
    return { ok: false, problem: { code: 'too-many-pixels', width, height, decodedPixels, limit: maxInputPixels } };
  }
  return { ok: true, probe };
}

export function imageErrorFor(subject: string, problem: ImageProblem, cause?: unknown): ImageError {
  return new ImageError(problem.code, describeProblem(subject, problem), cause === undefined ? undefined : { cause });
}

function describeProblem(subject: string, problem: ImageProblem): string {
  switch (problem.code) {
    case 'unreadable':
      return `${subject} could not be read: ${problem.reason}`;
    case 'unsupported-format':
      return `${subject} is not an image UDP Chat can send (supported: ${SUPPORTED_FORMATS_TEXT})`;
    case 'corrupt': {
      const kind = problem.format ? `a ${FORMAT_NAMES[problem.format]} image` : 'an image';
      return `${subject} looks like ${kind} but is damaged or incomplete (${problem.reason})`;
    }
    case 'too-many-pixels': {
      const size = `${problem.width}x${problem.height}`;
      const pixels = problem.decodedPixels > problem.width * problem.height ? ' across its pages/frames' : '';
      return (
        `${subject} is too large to send: ${size}${pixels} is ${megapixels(problem.decodedPixels)} megapixels, ` +
        `more than the limit of ${megapixels(problem.limit)}`
      );
    }
    case 'file-too-large':
      return `${subject} is too large to send: ${mebibytes(problem.bytes)} MB, more than the limit of ${mebibytes(problem.limit)} MB`;
    case 'worker-failed':
      return `${subject} could not be compressed: ${problem.reason}`;
    case 'timeout':
      return `${subject} took longer than ${(problem.afterMs / 1000).toFixed(problem.afterMs < 10_000 ? 1 : 0)} s to compress and was stopped`;
    case 'aborted':
      return `${subject} was not compressed: cancelled`;
    default:
      return assertNever(problem);
  }
}

function megapixels(pixels: number): string {
  if (!Number.isFinite(pixels)) return 'too many';
  const mp = pixels / 1_000_000;
  return mp >= 10 ? mp.toFixed(0) : mp.toFixed(1);
}

function mebibytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 10 ? mb.toFixed(0) : mb.toFixed(1);
}

function assertNever(value: never): never {
  throw new Error(`unhandled image problem ${JSON.stringify(value)}`);
}
