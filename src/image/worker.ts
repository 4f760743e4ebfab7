/**
 * The image worker: probes, decodes, resizes and encodes one job at a time, off the main thread. Built to
 * dist/image-worker.js; ImageCompressor starts it with resourceLimits and a per-job timeout, and replaces it if it
 * dies. Everything that can fail on hostile input is answered with a reply, never an uncaught exception.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { loadImageCodec, type CodecImage, type ImageCodec } from './vips-jimp';
import { checkHeader, type ImageProblem } from './errors';
import {
  chooseJpegShrink,
  fitWithin,
  orientationSwapsAxes,
  type CompressedImage,
  type CompressOptions,
  type Size,
} from './options';
import { ownsWholeBuffer, type WorkerJob, type WorkerReply } from './worker-messages';

const port = parentPort;
if (!port) throw new Error('src/image/worker.ts runs only as a worker thread (see ImageCompressor)');

/**
 * Niceness of this thread and of libvips' threads, which inherit it: when cores are scarce the editor's (or CLI's)
 * main thread runs first and an image takes a little longer, rather than the UI stalling while an image compresses.
 */
const WORKER_NICENESS = 10;
lowerThreadPriority();

// Started at once so that libvips' ~100 ms start-up overlaps the first job's trip here.
const codecReady = loadImageCodec();
codecReady.catch(() => undefined); // a start-up failure is reported to each job (runJob), not as an uncaught error
port.on('message', portOnMessage);

async function portOnMessage(job: WorkerJob): Promise<void> {
  const reply = await runJob(job);
  const transfer = reply.ok && ownsWholeBuffer(reply.image.data) ? [reply.image.data.buffer as ArrayBuffer] : [];
  port?.postMessage(reply, transfer);
}

async function runJob(job: WorkerJob): Promise<WorkerReply> {
  let codec: ImageCodec;
  try {
    codec = await codecReady;
  } catch (error) {
    // Where WebAssembly threads are unavailable, every image fails with this rather than the host crashing.
    const reason = `the image codec (libvips WebAssembly) could not start: ${messageOf(error)}`;
    return { id: job.id, ok: false, problem: { code: 'worker-failed', reason } };
  }
  try {
    const result = await compress(codec, job.bytes, job.options);
    return 'code' in result ? { id: job.id, ok: false, problem: result } : { id: job.id, ok: true, image: result };
  } catch (error) {
    return { id: job.id, ok: false, problem: { code: 'worker-failed', reason: `internal error: ${messageOf(error)}` } };
  }
}

async function compress(
  codec: ImageCodec,
  bytes: Uint8Array,
  options: CompressOptions,
): Promise<CompressedImage | ImageProblem> {
  // Checked again here even though the main thread did: this is where decoding happens.
  const header = checkHeader(bytes, options.maxInputPixels);
  if (!header.ok) return header.problem;
  const probe = header.probe;

  let image: CodecImage;
  let source: Size;
  try {
    if (probe.format === 'jpeg') {
      const swapped = orientationSwapsAxes(probe.orientation);
      const shown = swapped ? { width: probe.height, height: probe.width } : probe;
      const target = fitWithin(shown.width, shown.height, options.maxWidth, options.maxHeight);
      const stored = swapped ? { width: target.height, height: target.width } : target;
      const shrink = chooseJpegShrink(probe.width, probe.height, stored);
      image = codec.fromBitmap(codec.decodeJpeg(bytes, { shrink, autorotate: true }));
      // libvips read the orientation itself; trust what it did over what our probe expected.
      const turned = image.width !== Math.ceil(probe.width / shrink) && image.width === Math.ceil(probe.height / shrink);
      source = turned ? { width: probe.height, height: probe.width } : { width: probe.width, height: probe.height };
    } else {
      image = await codec.fromBuffer(bytes);
      source = { width: image.width, height: image.height };
    }
  } catch (error) {
    return { code: 'corrupt', format: probe.format, reason: messageOf(error) };
  }

  const fitted = fitWithin(source.width, source.height, options.maxWidth, options.maxHeight);
  // Never enlarge what the decoder gave us either (it can only be smaller than `fitted` by libjpeg's rounding).
  const target = { width: Math.min(fitted.width, image.width), height: Math.min(fitted.height, image.height) };
  if (target.width !== image.width || target.height !== image.height) {
    image.resize({ w: target.width, h: target.height });
  }
  const jpeg = await image.getBuffer('image/jpeg', { quality: options.quality });
  const data = new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
  return {
    data: ownsWholeBuffer(data) ? data : data.slice(),
    width: image.width,
    height: image.height,
    sourceWidth: source.width,
    sourceHeight: source.height,
    sourceFormat: probe.format,
  };
}

/** Linux keeps a nice value per thread; elsewhere (or if refused) the worker keeps normal priority. */
function lowerThreadPriority(): void {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop()); // "<pid>/task/<tid>"
    if (Number.isSafeInteger(tid) && tid > 0) os.setPriority(tid, WORKER_NICENESS);
  } catch {
    // Not Linux, or not allowed: normal priority is fine.
  }
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // libvips prefixes its messages with the operation and often ends them with a newline.
  return text.trim().split('\n')[0]?.slice(0, 300) || 'unknown error';
}
