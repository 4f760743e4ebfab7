/** Compression settings and the size arithmetic both threads share. Pure. */
import type { ImageFileFormat } from '../protocol/image-header';

export interface CompressOptions {
  /** The output fits within maxWidth x maxHeight pixels, keeping the aspect ratio; smaller images are not enlarged. */
  maxWidth: number;
  maxHeight: number;
  /** JPEG quality, 1..100. */
  quality: number;
  /** Inputs whose header declares more pixels than this are refused before decoding (decompression bombs). */
  maxInputPixels: number;
}

export const DEFAULT_COMPRESS_OPTIONS: Readonly<CompressOptions> = Object.freeze({
  maxWidth: 640,
  maxHeight: 480,
  // Half the size of quality 75 at a loss hardly visible at chat size; the product's original setting.
  quality: 50,
  // A 48 MP phone photo fits; the decoders' working memory for this many pixels stays well under the worker's limits.
  maxInputPixels: 50_000_000,
});

/** Defaults filled in and every field checked; a bad value is a programming error, so it throws a RangeError. */
export function resolveCompressOptions(options?: Partial<CompressOptions>): CompressOptions {
  const resolved: CompressOptions = { ...DEFAULT_COMPRESS_OPTIONS };
  for (const key of Object.keys(DEFAULT_COMPRESS_OPTIONS) as (keyof CompressOptions)[]) {
    const value = options?.[key];
    if (value !== undefined) resolved[key] = value;
  }
  for (const key of ['maxWidth', 'maxHeight', 'maxInputPixels'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] < 1) {
      throw new RangeError(`${key} must be a positive integer, not ${resolved[key]}`);
    }
  }
  if (!Number.isInteger(resolved.quality) || resolved.quality < 1 || resolved.quality > 100) {
    throw new RangeError(`quality must be an integer from 1 to 100, not ${resolved.quality}`);
  }
  return resolved;
}

export interface Size {
  width: number;
  height: number;
}

/** The largest size with `width`/`height`'s aspect ratio that fits within the box, never larger than the input. */
export function fitWithin(width: number, height: number, maxWidth: number, maxHeight: number): Size {
  if (width <= maxWidth && height <= maxHeight) return { width, height };
  const scale = Math.min(maxWidth / width, maxHeight / height);
  return {
    width: Math.min(maxWidth, Math.max(1, Math.round(width * scale))),
    height: Math.min(maxHeight, Math.max(1, Math.round(height * scale))),
  };
}

/** Scale denominators libvips' JPEG loader can apply in the DCT domain (libjpeg's scale_denom). */
const JPEG_SHRINK_FACTORS = [8, 4, 2] as const;
export type JpegShrink = 1 | 2 | 4 | 8;

/**
 * The largest shrink-on-load factor whose output (libjpeg rounds up: ceil(width / shrink)) is still at least the
 * target size, so the final resize only ever scales down and the result is as sharp as a full decode would give.
 */
export function chooseJpegShrink(width: number, height: number, target: Size): JpegShrink {
  for (const shrink of JPEG_SHRINK_FACTORS) {
    if (Math.ceil(width / shrink) >= target.width && Math.ceil(height / shrink) >= target.height) return shrink;
  }
  return 1;
}

/** EXIF orientations 5..8 turn the image a quarter, so the stored width is the displayed height. */
export function orientationSwapsAxes(orientation: number): boolean {
  return orientation >= 5 && orientation <= 8;
}

/** A compressed image: JPEG bytes and the sizes before and after. */
export interface CompressedImage {
  /** The JPEG file. */
  data: Uint8Array;
  width: number;
  height: number;
  /** The input's size as displayed, i.e. after EXIF orientation, in pixels. */
  sourceWidth: number;
  sourceHeight: number;
  sourceFormat: ImageFileFormat;
}
