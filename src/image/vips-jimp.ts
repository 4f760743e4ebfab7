/**
 * jimp with its JPEG codec replaced by libvips compiled to WebAssembly (wasm-vips, mozjpeg inside). Worker-only: it
 * loads ~5 MB of WebAssembly and libvips starts its own pthread workers.
 *
 * Why: jimp's pure-JS JPEG decoder needs ~700 ms and ~400 MB for a 12 MP photo. libjpeg can decode straight to 1/2,
 * 1/4 or 1/8 size in the DCT domain ("shrink-on-load"), which skips most of the work and memory. The JPEG encoder
 * is mozjpeg with 4:2:0 chroma, trellis quantisation and the ImageMagick quantisation table: ~0.55x the bytes of
 * jimp's at the same quality. PNG, GIF, BMP and TIFF keep jimp's own JS decoders.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createJimp } from '@jimp/core';
import { methods as resizeMethods } from '@jimp/plugin-resize';
import { defaultFormats } from 'jimp';
import type VipsFactory from 'wasm-vips';
import type { JpegShrink } from './options';

type Vips = Awaited<ReturnType<typeof VipsFactory>>;
type VipsImage = InstanceType<Vips['Image']>;

/** The emscripten glue, copied with its vips.wasm next to the worker bundle by esbuild.mjs. */
const VIPS_GLUE_FILE = 'vips-node.js';

/**
 * Threads in libvips' pool. Shrink-on-load decoding is sequential anyway; more threads than the 2 cores of the
 * machines we target would only compete with the extension host.
 */
const VIPS_CONCURRENCY = 2;

export interface Bitmap {
  data: Buffer;
  width: number;
  height: number;
}

export interface JpegDecodeOptions {
  shrink?: JpegShrink;
  /** Turn the pixels upright per EXIF orientation while decoding (cheap: done on the shrunk image, in C). */
  autorotate?: boolean;
}

export interface JpegEncodeOptions {
  quality?: number;
}

/** The part of a jimp image the pipeline uses; jimp's own types are large generic unions. */
export interface CodecImage {
  readonly width: number;
  readonly height: number;
  resize(options: { w: number; h: number }): unknown;
  getBuffer(mime: 'image/jpeg', options: JpegEncodeOptions): Promise<Buffer>;
}

export interface ImageCodec {
  /** jimp with the WebAssembly JPEG codec; every other format uses jimp's defaults. */
  Jimp: ReturnType<typeof createCodecJimp>;
  /** A jimp image of decoded pixels. */
  fromBitmap(bitmap: Bitmap): CodecImage;
  /** A jimp image decoded from a file's bytes by the codec for its format. */
  fromBuffer(bytes: Uint8Array): Promise<CodecImage>;
  decodeJpeg(bytes: Uint8Array, options?: JpegDecodeOptions): Bitmap;
  encodeJpeg(bitmap: Bitmap, options?: JpegEncodeOptions): Uint8Array;
  /** Version of libvips, for logs. */
  version: string;
}

/** Loads and starts libvips once (about 100 ms); call it once per worker, not per image. */
export async function loadImageCodec(): Promise<ImageCodec> {
  const factory = requireVipsFactory();
  // The HEIF/JXL side modules are several MB each and read formats we do not accept: do not load them.
  const vips = await factory({
    dynamicLibraries: [],
    // libvips warns on stderr about every damaged file, and hostile input is expected here: the reply says what
    // happened, so the extension host's log is not filled with it.
    print: ignoreOutput,
    printErr: ignoreOutput,
    preRun: [
      (module: { ENV: Record<string, string> }) => {
        module.ENV.VIPS_WARNING = '0'; // libvips' switch that drops its warnings, including those from its threads
      },
    ],
  });
  // libvips caches operations and their pixel buffers for reuse; each job here is one-off, so it would only grow.
  vips.Cache.max(0);
  vips.concurrency(VIPS_CONCURRENCY);
  // Refuse loaders libvips itself marks as unsafe for untrusted input; none of the ones we use are.
  vips.blockUntrusted(true);
  const decodeJpeg = (bytes: Uint8Array, options: JpegDecodeOptions = {}) => vipsDecodeJpeg(vips, bytes, options);
  const encodeJpeg = (bitmap: Bitmap, options: JpegEncodeOptions = {}) => vipsEncodeJpeg(vips, bitmap, options);
  const Jimp = createCodecJimp(decodeJpeg, encodeJpeg);
  const codec: ImageCodec = {
    Jimp,
    fromBitmap: (bitmap) => Jimp.fromBitmap(bitmap) as CodecImage,
    fromBuffer: async (bytes) => (await Jimp.fromBuffer(asBuffer(bytes))) as CodecImage,
    decodeJpeg,
    encodeJpeg,
    version: String(vips.version()),
  };
  await warmUp(codec);
  return codec;
}

/** The warm-up image: what a 12 MP photo becomes after shrink-on-load, so V8 optimises the loops for that shape. */
const WARM_UP_WIDTH_PX = 1000;
const WARM_UP_HEIGHT_PX = 750;

/**
 * Runs one image through every stage so that libvips starts its pthread workers and V8 compiles the codec's
 * WebAssembly and optimises jimp's resize loops now, at worker start, instead of adding most of a second to the
 * user's first photo (measured: first 12 MP image 1.2 s without this, ~0.2 s with it).
 */
async function warmUp(codec: ImageCodec): Promise<void> {
  const width = WARM_UP_WIDTH_PX;
  const height = WARM_UP_HEIGHT_PX;
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) >>> 3; // texture, so the entropy coder has work
  const jpeg = codec.encodeJpeg({ data, width, height }, { quality: 50 });
  const image = codec.fromBitmap(codec.decodeJpeg(jpeg, { shrink: 1, autorotate: true }));
  image.resize({ w: Math.round(width * 0.64), h: Math.round(height * 0.64) });
  await image.getBuffer('image/jpeg', { quality: 50 });
}

/**
 * The glue next to this file when running from the bundle (dist/), else the package (running from source). It is
 * loaded by path, not bundled: its pthread workers re-run this very file, which must be the glue and not our bundle.
 */
function requireVipsFactory(): typeof VipsFactory {
  const bundled = path.join(__dirname, VIPS_GLUE_FILE);
  const fromSource: string = 'wasm-vips'; // a variable, so that esbuild leaves the require alone
  const file = fs.existsSync(bundled) ? bundled : require.resolve(fromSource);
  return require(file) as typeof VipsFactory;
}

function createCodecJimp(
  decodeJpeg: (bytes: Uint8Array, options?: JpegDecodeOptions) => Bitmap,
  encodeJpeg: (bitmap: Bitmap, options?: JpegEncodeOptions) => Uint8Array,
) {
  const jpeg = () => ({
    mime: 'image/jpeg' as const,
    // The encoder flattens alpha onto white itself; telling jimp so spares it a full-size composite.
    hasAlpha: true,
    encode: (bitmap: Bitmap, options?: JpegEncodeOptions) => asBuffer(encodeJpeg(bitmap, options)),
    decode: (data: Buffer, options?: JpegDecodeOptions) => decodeJpeg(data, options),
  });
  const others = defaultFormats.filter((format) => format().mime !== 'image/jpeg');
  return createJimp({ plugins: [resizeMethods], formats: [...others, jpeg] });
}

function vipsDecodeJpeg(vips: Vips, bytes: Uint8Array, options: JpegDecodeOptions): Bitmap {
  const owned: VipsImage[] = [];
  const keep = (image: VipsImage) => {
    owned.push(image);
    return image;
  };
  try {
    // fail_on 'error': a truncated or damaged scan is an error, not a grey-filled picture.
    let image = keep(
      vips.Image.jpegloadBuffer(bytes, {
        shrink: options.shrink ?? 1,
        autorotate: options.autorotate ?? false,
        fail_on: 'error',
      }),
    );
    // Greyscale and CMYK JPEGs exist (scanners, print workflows); jimp wants 8-bit sRGB with alpha.
    if (image.interpretation !== 'srgb') image = keep(image.colourspace('srgb'));
    if (image.format !== 'uchar') image = keep(image.cast('uchar'));
    if (image.bands === 3) image = keep(image.bandjoin([255]));
    if (image.bands !== 4) throw new Error(`unexpected ${image.bands}-band JPEG`);
    const pixels = image.writeToMemory() as Uint8Array; // uchar, checked above
    return { data: asBuffer(pixels), width: image.width, height: image.height };
  } finally {
    for (const image of owned) image.delete();
  }
}

function vipsEncodeJpeg(vips: Vips, bitmap: Bitmap, options: JpegEncodeOptions): Uint8Array {
  const owned: VipsImage[] = [];
  const keep = (image: VipsImage) => {
    owned.push(image);
    return image;
  };
  try {
    const rgba = keep(vips.Image.newFromMemory(bitmap.data, bitmap.width, bitmap.height, 4, vips.BandFormat.uchar));
    // Transparent areas (PNG, GIF) become white, as chat clients show them, rather than JPEG's default black.
    const rgb = keep(rgba.flatten({ background: [255, 255, 255] }));
    return rgb.jpegsaveBuffer({
      Q: options.quality ?? 75,
      // mozjpeg's own defaults (cjpeg), as Squoosh uses them: Huffman tables and trellis quantisation tuned per
      // image, the ImageMagick quantisation table. Chroma is 4:2:0 below quality 90.
      optimize_coding: true,
      trellis_quant: true,
      quant_table: 3,
      // Not progressive: without mozjpeg's scan optimisation it made these files ~2% larger and 30% slower to write.
      interlace: false,
    });
  } finally {
    for (const image of owned) image.delete();
  }
}

function ignoreOutput(): void {}

/** A Buffer view on the same memory, as jimp's bitmaps require; no copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
