/**
 * Reads an image's format and dimensions from its first bytes, without decoding it. Pure and bounded: it never
 * throws, never reads past the end of the array, and its work is linear in the input at worst (JPEG segments and
 * TIFF/GIF block chains are walked, never the pixel data). The pixel limit is checked against what this returns
 * BEFORE any decoder sees the bytes, so it is the first line of defence against decompression bombs.
 */

export type ImageFileFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'tiff';

export interface ImageProbe {
  format: ImageFileFormat;
  /** Width of the stored image (before EXIF orientation), in pixels. */
  width: number;
  /** Height of the stored image (before EXIF orientation), in pixels. */
  height: number;
}

export interface ImageProbeDetails extends ImageProbe {
  /** EXIF orientation 1..8 (1 = as stored); only JPEG and TIFF carry one. */
  orientation: number;
  /**
   * Pixels the format's decoder will allocate, which can exceed width x height: jimp decodes every page of a TIFF,
   * and a GIF's first frame may be larger than its logical screen. Infinity when a file has absurdly many pages.
   */
  decodedPixels: number;
}

/** Largest width or height any of the formats can declare that we accept; PNG's own limit is 2^31 - 1. */
const MAX_DIMENSION_PX = 0x7fff_ffff;
/** TIFF pages walked before giving up; jimp decodes every page, so a long chain is treated as too many pixels. */
const MAX_TIFF_PAGES = 1024;
/** GIF extension/sub-block steps walked to find the first frame, bounding work on hostile block chains. */
const MAX_GIF_BLOCKS = 100_000;

/** The format and stored dimensions of an image, or undefined when the header is not one we can read. */
export function probeImage(bytes: Uint8Array): ImageProbe | undefined {
  const details = probeImageDetails(bytes);
  return details && { format: details.format, width: details.width, height: details.height };
}

/** Like {@link probeImage}, plus the EXIF orientation and the pixel count the decoder will allocate. */
export function probeImageDetails(bytes: Uint8Array): ImageProbeDetails | undefined {
  switch (sniffImageFormat(bytes)) {
    case 'png':
      return probePng(bytes);
    case 'jpeg':
      return probeJpeg(bytes);
    case 'gif':
      return probeGif(bytes);
    case 'bmp':
      return probeBmp(bytes);
    case 'tiff':
      return probeTiff(bytes);
    case undefined:
      return undefined;
  }
}

/**
 * The format whose magic bytes start `bytes`, whether or not the rest of the header is intact. Tells a damaged image
 * ("corrupt") from a file that is no image we support ("unsupported-format").
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFileFormat | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'gif'; // "GIF8"
  if (startsWith(bytes, [0x42, 0x4d])) return 'bmp'; // "BM"
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  return undefined;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Bounds-checked readers: every one returns -1 when the field does not fit, which callers treat as "no header". */
function u8(b: Uint8Array, at: number): number {
  return at >= 0 && at < b.length ? (b[at] as number) : -1;
}
function u16(b: Uint8Array, at: number, littleEndian: boolean): number {
  if (at < 0 || at + 2 > b.length) return -1;
  const x = b[at] as number;
  const y = b[at + 1] as number;
  return littleEndian ? x | (y << 8) : (x << 8) | y;
}
function u32(b: Uint8Array, at: number, littleEndian: boolean): number {
  if (at < 0 || at + 4 > b.length) return -1;
  const b0 = b[at] as number;
  const b1 = b[at + 1] as number;
  const b2 = b[at + 2] as number;
  const b3 = b[at + 3] as number;
  return littleEndian ? (b0 | (b1 << 8) | (b2 << 16)) + b3 * 0x100_0000 : b0 * 0x100_0000 + ((b1 << 16) | (b2 << 8) | b3);
}

function validDimensions(width: number, height: number): boolean {
  return width >= 1 && height >= 1 && width <= MAX_DIMENSION_PX && height <= MAX_DIMENSION_PX;
}

function simple(format: ImageFileFormat, width: number, height: number): ImageProbeDetails | undefined {
  if (!validDimensions(width, height)) return undefined;
  return { format, width, height, orientation: 1, decodedPixels: width * height };
}

// ---- PNG: signature, then the IHDR chunk, which the spec requires to come first.
const PNG_BIT_DEPTHS = new Set([1, 2, 4, 8, 16]);
const PNG_COLOUR_TYPES = new Set([0, 2, 3, 4, 6]);

function probePng(b: Uint8Array): ImageProbeDetails | undefined {
  // 8 signature + 4 length + 4 "IHDR" + 13 data (width, height, depth, colour type, compression, filter, interlace)
  if (b.length < 29) return undefined;
  if (u32(b, 8, false) !== 13) return undefined;
  if (b[12] !== 0x49 || b[13] !== 0x48 || b[14] !== 0x44 || b[15] !== 0x52) return undefined; // "IHDR"
  if (!PNG_BIT_DEPTHS.has(u8(b, 24)) || !PNG_COLOUR_TYPES.has(u8(b, 25))) return undefined;
  return simple('png', u32(b, 16, false), u32(b, 20, false));
}

// ---- JPEG: walk the marker segments from SOI to the first SOFn, reading EXIF orientation from APP1 on the way.
const JPEG_APP1 = 0xe1;
const JPEG_SOS = 0xda;
const JPEG_EOI = 0xd9;
const JPEG_SOI = 0xd8;

/** SOF0..SOF15 minus DHT (C4), JPG (C8) and DAC (CC), which share the range but are not frame headers. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function probeJpeg(b: Uint8Array): ImageProbeDetails | undefined {
  let orientation = 1;
  let sawExif = false;
  let at = 2; // after SOI
  while (at < b.length) {
    if (b[at] !== 0xff) return undefined; // segments must follow one another; anything else is damage
    // Any number of 0xFF fill bytes may precede a marker.
    while (at < b.length && b[at] === 0xff) at++;
    const marker = u8(b, at);
    if (marker < 0) return undefined;
    at++;
    // Markers without a length field: TEM and RST0..7. SOI again, EOI or SOS before a frame header means no image.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0x00 || marker === JPEG_SOI || marker === JPEG_EOI || marker === JPEG_SOS) return undefined;
    const length = u16(b, at, false); // includes its own two bytes
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      // precision(1) height(2) width(2) components(1), then 3 bytes per component; the whole segment must be there.
      if (length < 8 || at + length > b.length) return undefined;
      const height = u16(b, at + 3, false);
      const width = u16(b, at + 5, false);
      const components = u8(b, at + 7);
      if (components < 1) return undefined;
      // Height 0 means "defined later by a DNL marker": too rare to support, and it would dodge the pixel check.
      const probe = simple('jpeg', width, height);
      return probe && { ...probe, orientation };
    }
    if (marker === JPEG_APP1 && !sawExif) {
      const end = Math.min(b.length, at + length);
      const found = readExifOrientation(b, at + 2, end);
      if (found !== undefined) {
        sawExif = true;
        orientation = found;
      }
    }
    at += length;
  }
  return undefined;
}

/**
 * Orientation from an APP1 segment body in [start, end): "Exif\0\0" then a TIFF header. Undefined when the segment is
 * not EXIF (XMP also lives in APP1); 1 when it is EXIF without a usable orientation tag.
 */
function readExifOrientation(b: Uint8Array, start: number, end: number): number | undefined {
  const exif = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // "Exif\0\0"
  if (end - start < exif.length + 8) return undefined;
  for (let i = 0; i < exif.length; i++) if (b[start + i] !== exif[i]) return undefined;
  const tiff = b.subarray(start + exif.length, end);
  return readTiffOrientation(tiff) ?? 1;
}

// ---- TIFF (also the body of EXIF): header, then a chain of IFDs of 12-byte entries.
const TIFF_TYPE_SHORT = 3;
const TIFF_TYPE_LONG = 4;
const TIFF_TAG_WIDTH = 256;
const TIFF_TAG_HEIGHT = 257;
const TIFF_TAG_ORIENTATION = 274;

interface TiffIfd {
  width: number;
  height: number;
  orientation: number;
  next: number;
}

function tiffByteOrder(b: Uint8Array): boolean | undefined {
  if (b[0] === 0x49 && b[1] === 0x49 && u16(b, 2, true) === 42) return true;
  if (b[0] === 0x4d && b[1] === 0x4d && u16(b, 2, false) === 42) return false;
  return undefined;
}

/** One IFD at `offset`, or undefined if its entry table does not fit in the array. */
function readTiffIfd(b: Uint8Array, offset: number, le: boolean): TiffIfd | undefined {
  const count = u16(b, offset, le);
  if (count < 0) return undefined;
  const entries = offset + 2;
  if (entries + count * 12 + 4 > b.length) return undefined;
  const ifd: TiffIfd = { width: 0, height: 0, orientation: 1, next: u32(b, entries + count * 12, le) };
  for (let i = 0; i < count; i++) {
    const entry = entries + i * 12;
    const tag = u16(b, entry, le);
    if (tag !== TIFF_TAG_WIDTH && tag !== TIFF_TAG_HEIGHT && tag !== TIFF_TAG_ORIENTATION) continue;
    const type = u16(b, entry + 2, le);
    if (u32(b, entry + 4, le) < 1) continue;
    // A single SHORT or LONG fits in the 4-byte value field; a SHORT sits in its first two bytes.
    const value = type === TIFF_TYPE_SHORT ? u16(b, entry + 8, le) : type === TIFF_TYPE_LONG ? u32(b, entry + 8, le) : -1;
    if (value < 0) continue;
    if (tag === TIFF_TAG_WIDTH) ifd.width = value;
    else if (tag === TIFF_TAG_HEIGHT) ifd.height = value;
    else if (value >= 1 && value <= 8) ifd.orientation = value;
  }
  return ifd;
}

function readTiffOrientation(b: Uint8Array): number | undefined {
  const le = tiffByteOrder(b);
  if (le === undefined) return undefined;
  return readTiffIfd(b, u32(b, 4, le), le)?.orientation;
}

function probeTiff(b: Uint8Array): ImageProbeDetails | undefined {
  const le = tiffByteOrder(b);
  if (le === undefined) return undefined;
  const first = readTiffIfd(b, u32(b, 4, le), le);
  if (!first || !validDimensions(first.width, first.height)) return undefined;
  // jimp's TIFF codec decodes every page, so every page counts against the pixel limit.
  let decodedPixels = first.width * first.height;
  const seen = new Set<number>([u32(b, 4, le)]);
  let next = first.next;
  let pages = 1;
  while (next > 0 && !seen.has(next)) {
    if (pages >= MAX_TIFF_PAGES) {
      decodedPixels = Infinity;
      break;
    }
    seen.add(next);
    const ifd = readTiffIfd(b, next, le);
    if (!ifd) break; // a broken chain: the decoder fails on it or ignores it; neither allocates for it
    decodedPixels += ifd.width * ifd.height;
    next = ifd.next;
    pages++;
  }
  return { format: 'tiff', width: first.width, height: first.height, orientation: first.orientation, decodedPixels };
}

// ---- GIF: header, logical screen descriptor, then blocks up to the first image descriptor.
function probeGif(b: Uint8Array): ImageProbeDetails | undefined {
  // "GIF87a" or "GIF89a", then width(2) height(2) flags(1) background(1) aspect(1), little-endian
  if (b.length < 13) return undefined;
  if (b[4] !== 0x37 && b[4] !== 0x39) return undefined;
  if (b[5] !== 0x61) return undefined;
  const probe = simple('gif', u16(b, 6, true), u16(b, 8, true));
  if (!probe) return undefined;
  const frame = firstGifFrame(b);
  // The decoder allocates the screen as RGBA plus the first frame's index buffer, which may be larger.
  return frame ? { ...probe, decodedPixels: probe.decodedPixels + frame.width * frame.height } : probe;
}

function firstGifFrame(b: Uint8Array): { width: number; height: number } | undefined {
  const flags = u8(b, 10);
  let at = 13 + (flags & 0x80 ? 3 * (1 << ((flags & 0x07) + 1)) : 0); // skip the global colour table
  for (let steps = 0; steps < MAX_GIF_BLOCKS && at < b.length; steps++) {
    const block = b[at];
    if (block === 0x2c) {
      // image descriptor: left(2) top(2) width(2) height(2) flags(1)
      const width = u16(b, at + 5, true);
      const height = u16(b, at + 7, true);
      return width >= 0 && height >= 0 ? { width, height } : undefined;
    }
    if (block !== 0x21) return undefined; // only extensions may come before the first frame
    at += 2; // introducer and label, then sub-blocks until a zero-length one
    for (;;) {
      const size = u8(b, at);
      if (size < 0) return undefined;
      at += 1 + size;
      if (size === 0) break;
      if (++steps >= MAX_GIF_BLOCKS) return undefined;
    }
  }
  return undefined;
}

// ---- BMP: file header (14 bytes), then a DIB header whose size says which layout it has.
const BMP_CORE_HEADER_BYTES = 12;
const BMP_INFO_HEADER_SIZES = new Set([16, 40, 52, 56, 64, 108, 124]);

function probeBmp(b: Uint8Array): ImageProbeDetails | undefined {
  const dibSize = u32(b, 14, true);
  // The whole DIB header must be there: the decoder reads all of it.
  if (dibSize === BMP_CORE_HEADER_BYTES) {
    return b.length >= 14 + dibSize ? simple('bmp', u16(b, 18, true), u16(b, 20, true)) : undefined;
  }
  if (!BMP_INFO_HEADER_SIZES.has(dibSize) || b.length < 14 + dibSize) return undefined;
  const width = u32(b, 18, true) | 0; // signed
  const height = u32(b, 22, true) | 0; // signed: negative means rows run top-down
  if (height === -0x8000_0000) return undefined;
  return simple('bmp', width, Math.abs(height));
}
