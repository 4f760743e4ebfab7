/**
 * Image compression for UDP Chat: any PNG, JPEG, GIF, BMP or TIFF in, a small JPEG out, decoded in a worker thread.
 * See docs/image-pipeline.md for the codec choice, the measured figures and the security checks.
 */
export {
  ImageCompressor,
  DEFAULT_IDLE_SHUTDOWN_MS,
  DEFAULT_JOB_TIMEOUT_MS,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_WORKER_RESOURCE_LIMITS,
} from './compressor';
export type { ImageCompressorOptions } from './compressor';
export { ImageError, isImageError } from './errors';
export type { ImageErrorCode } from './errors';
export { DEFAULT_COMPRESS_OPTIONS, fitWithin } from './options';
export type { CompressedImage, CompressOptions } from './options';
export { probeImage } from '../protocol/image-header';
export type { ImageFileFormat, ImageProbe } from '../protocol/image-header';
