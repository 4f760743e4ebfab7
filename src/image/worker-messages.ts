/** Messages between ImageCompressor (main thread) and the image worker. One job in flight per worker. */
import type { ImageProblem } from './errors';
import type { CompressedImage, CompressOptions } from './options';

/** Main thread to worker. `bytes` is transferred, not copied. */
export interface WorkerJob {
  id: number;
  bytes: Uint8Array;
  options: CompressOptions;
}

/** Worker to main thread. The JPEG in `image.data` is transferred back. */
export type WorkerReply = { id: number; ok: true; image: CompressedImage } | { id: number; ok: false; problem: ImageProblem };

/** True when `bytes` is the whole of its ArrayBuffer, so transferring that buffer moves exactly these bytes. */
export function ownsWholeBuffer(bytes: Uint8Array): boolean {
  return (
    !(bytes.buffer instanceof SharedArrayBuffer) &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength
  );
}
