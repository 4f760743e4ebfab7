import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JimpMime } from 'jimp';
import { ImageCompressor, ImageError, type CompressedImage, type ImageErrorCode } from '../../../src/image';
import {
  FAKE_CRASH_QUALITY,
  FAKE_HANG_QUALITY,
  FAKE_OOM_QUALITY,
  FAKE_THROW_QUALITY,
} from './fixtures/fake-worker';
import { decode, encode, photoLike, pixel, pngWithHeader, solid, withExifOrientation } from './fixtures/images';

const FAKE_WORKER = path.join(__dirname, 'fixtures', 'fake-worker.ts');
/** A worker script that does not exist: a compressor using it fails any job that reaches a worker. */
const NO_WORKER = path.join(__dirname, 'fixtures', 'no-such-worker.js');

async function rejectsWith(promise: Promise<unknown>, code: ImageErrorCode): Promise<ImageError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageError, `expected an ImageError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected an ImageError "${code}", but it resolved`);
}

function isJpeg(image: CompressedImage): boolean {
  return image.data[0] === 0xff && image.data[1] === 0xd8 && image.data[2] === 0xff;
}

/** Threads of this process, as Linux counts them: a worker thread and libvips' own pthreads each add one. */
function threadCount(): number {
  return fs.readdirSync('/proc/self/task').length;
}

describe('ImageCompressor', function () {
  // One real worker for the whole file: starting it (tsx + libvips) is the slow part.
  const compressor = new ImageCompressor();
  let tmp: string;

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-image-test-'));
    // Warm the worker so the first test's timing does not include its start.
    await compressor.compressBytes(await encode(photoLike(20, 20), JimpMime.png));
  });

  after(async function () {
    await compressor.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('output size', () => {
    it('fits a large landscape JPEG within 640x480 keeping its aspect ratio', async () => {
      const out = await compressor.compressBytes(await encode(photoLike(1600, 1000), JimpMime.jpeg));
      assert.deepEqual([out.width, out.height], [640, 400]);
      assert.deepEqual([out.sourceWidth, out.sourceHeight, out.sourceFormat], [1600, 1000, 'jpeg']);
      assert.ok(isJpeg(out));
      const decoded = await decode(out.data);
      assert.deepEqual([decoded.width, decoded.height], [640, 400]);
    });

    it('fits a portrait image by its height', async () => {
      const out = await compressor.compressBytes(await encode(photoLike(900, 1600), JimpMime.png));
      assert.deepEqual([out.width, out.height], [270, 480]);
    });

    it('never enlarges a 100x80 image', async () => {
      const out = await compressor.compressBytes(await encode(photoLike(100, 80), JimpMime.png));
      assert.deepEqual([out.width, out.height], [100, 80]);
    });

    it('honours maxWidth and maxHeight', async () => {
      const out = await compressor.compressBytes(await encode(photoLike(1000, 1000), JimpMime.jpeg), {
        maxWidth: 300,
        maxHeight: 200,
      });
      assert.deepEqual([out.width, out.height], [200, 200]);
    });

    it('writes fewer bytes at a lower quality', async () => {
      const input = await encode(photoLike(800, 600), JimpMime.png);
      const low = await compressor.compressBytes(input.slice(), { quality: 20 });
      const high = await compressor.compressBytes(input.slice(), { quality: 90 });
      assert.ok(low.data.byteLength < high.data.byteLength * 0.7, `q20 ${low.data.byteLength} vs q90 ${high.data.byteLength}`);
    });
  });

  describe('input formats', () => {
    for (const [format, mime] of [
      ['png', JimpMime.png],
      ['gif', JimpMime.gif],
      ['bmp', JimpMime.bmp],
      ['tiff', JimpMime.tiff],
      ['jpeg', JimpMime.jpeg],
    ] as const) {
      it(`compresses a ${format} to a JPEG`, async () => {
        // Wide and short: over the width limit, yet quick for jimp's GIF encoder to make.
        const out = await compressor.compressBytes(await encode(photoLike(660, 90), mime));
        assert.ok(isJpeg(out));
        assert.deepEqual([out.width, out.height, out.sourceFormat], [640, 87, format]);
      });
    }

    it('keeps colours (channel order survives decode, resize and encode)', async () => {
      const out = await compressor.compressBytes(await encode(solid(64, 32, 0xd02010ff), JimpMime.png));
      const [r, g, b] = pixel(await decode(out.data), 10, 10);
      assert.ok(Math.abs(r - 0xd0) < 12 && Math.abs(g - 0x20) < 12 && Math.abs(b - 0x10) < 12, `${r},${g},${b}`);
    });

    it('puts transparent areas on white', async () => {
      const out = await compressor.compressBytes(await encode(solid(32, 32, 0x00000000), JimpMime.png));
      const [r, g, b] = pixel(await decode(out.data), 16, 16);
      assert.ok(r > 240 && g > 240 && b > 240, `${r},${g},${b}`);
    });

    it('turns a phone photo upright per its EXIF orientation', async () => {
      // Stored 400x200 with a red left column; orientation 6 means "rotate 90 degrees clockwise to display".
      const stored = photoLike(400, 200);
      stored.scan(0, 0, 40, 200, (_x, _y, i) => {
        stored.bitmap.data.set([255, 0, 0, 255], i);
      });
      const out = await compressor.compressBytes(withExifOrientation(await encode(stored, JimpMime.jpeg), 6));
      assert.deepEqual([out.width, out.height, out.sourceWidth, out.sourceHeight], [200, 400, 200, 400]);
      // After turning clockwise the stored left column is the displayed top row.
      const [r, g] = pixel(await decode(out.data), 100, 5);
      assert.ok(r > 200 && g < 60, `top row should be red, is ${r},${g}`);
    });
  });

  describe('hostile and broken input', () => {
    it('reports a JPEG whose compressed data is damaged as corrupt', async () => {
      const jpeg = await encode(photoLike(300, 200), JimpMime.jpeg);
      const damaged = jpeg.slice(0, Math.floor(jpeg.length * 0.6)); // cut mid-scan, no EOI
      const error = await rejectsWith(compressor.compressBytes(damaged), 'corrupt');
      assert.match(error.message, /JPEG/);
    });

    it('reports a JPEG with a bogus Huffman table as corrupt', async () => {
      const jpeg = await encode(photoLike(300, 200), JimpMime.jpeg);
      const dht = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xc4);
      const damaged = jpeg.slice();
      damaged.fill(0xff, dht + 5, dht + 5 + 16); // code counts per length: far more codes than 256 symbols allow
      await rejectsWith(compressor.compressBytes(damaged), 'corrupt');
    });

    it('reports a truncated PNG as corrupt', async () => {
      const png = await encode(photoLike(300, 200), JimpMime.png);
      await rejectsWith(compressor.compressBytes(png.slice(0, Math.floor(png.length / 2))), 'corrupt');
    });

    it('reports a PNG cut inside its header as corrupt without starting a worker', async () => {
      const idle = new ImageCompressor({ workerPath: NO_WORKER });
      const png = await encode(photoLike(30, 20), JimpMime.png);
      await rejectsWith(idle.compressBytes(png.slice(0, 20)), 'corrupt');
      await idle.dispose();
    });

    it('names a text file renamed .png as unsupported, without decoding it', async () => {
      const file = path.join(tmp, 'notes.png');
      fs.writeFileSync(file, 'These are my notes, not a picture.\n');
      const idle = new ImageCompressor({ workerPath: NO_WORKER });
      const error = await rejectsWith(idle.compressFile(file), 'unsupported-format');
      assert.equal(error.message, 'notes.png is not an image UDP Chat can send (supported: PNG, JPEG, GIF, BMP, TIFF)');
      await idle.dispose();
    });

    it('refuses a decompression bomb by its header alone (20000x20000 PNG of a few hundred bytes)', async () => {
      const bomb = pngWithHeader(20_000, 20_000);
      assert.ok(bomb.length < 1000);
      // NO_WORKER proves no worker (so no decoder) was involved: reaching one would fail with 'worker-failed'.
      const idle = new ImageCompressor({ workerPath: NO_WORKER });
      const error = await rejectsWith(idle.compressBytes(bomb), 'too-many-pixels');
      assert.match(error.message, /20000x20000 is 400 megapixels, more than the limit of 50/);
      await idle.dispose();
    });

    it('refuses a GIF whose first frame is far larger than its small screen', async () => {
      // A 10x10 screen, then a 30000x30000 frame: omggif would allocate the frame's size.
      const gif = Uint8Array.from([
        ...Buffer.from('GIF89a', 'latin1'), 10, 0, 10, 0, 0, 0, 0,
        0x2c, 0, 0, 0, 0, 0x30, 0x75, 0x30, 0x75, 0, 2, 2, 0x4c, 0x01, 0, 0x3b,
      ]);
      const idle = new ImageCompressor({ workerPath: NO_WORKER });
      const error = await rejectsWith(idle.compressBytes(gif), 'too-many-pixels');
      assert.match(error.message, /10x10 across its pages\/frames is 900 megapixels/);
      await idle.dispose();
    });

    it('honours maxInputPixels', async () => {
      const png = await encode(photoLike(200, 200), JimpMime.png);
      await rejectsWith(compressor.compressBytes(png.slice(), { maxInputPixels: 39_999 }), 'too-many-pixels');
      const out = await compressor.compressBytes(png.slice(), { maxInputPixels: 40_000 });
      assert.deepEqual([out.width, out.height], [200, 200]);
    });

    it('refuses a file over maxFileBytes before reading it', async () => {
      const file = path.join(tmp, 'big.png');
      fs.writeFileSync(file, await encode(photoLike(100, 100), JimpMime.png));
      const small = new ImageCompressor({ workerPath: NO_WORKER, maxFileBytes: 1000 });
      const error = await rejectsWith(small.compressFile(file), 'file-too-large');
      assert.match(error.message, /^big\.png is too large to send/);
      await rejectsWith(small.compressBytes(new Uint8Array(1001)), 'file-too-large');
      await small.dispose();
    });

    it('reports a missing file and a folder as unreadable', async () => {
      const error = await rejectsWith(compressor.compressFile(path.join(tmp, 'gone.jpg')), 'unreadable');
      assert.equal(error.message, 'gone.jpg could not be read: the file does not exist');
      await rejectsWith(compressor.compressFile(tmp), 'unreadable');
    });

    it('keeps working after a bad input', async () => {
      await rejectsWith(compressor.compressBytes(pngWithHeader(50, 50)), 'corrupt');
      const out = await compressor.compressBytes(await encode(photoLike(50, 50), JimpMime.png));
      assert.deepEqual([out.width, out.height], [50, 50]);
    });
  });

  describe('jobs and buffers', () => {
    it('runs queued jobs one after another and answers each', async () => {
      const sizes = [
        [120, 90],
        [700, 700],
        [33, 44],
      ] as const;
      const inputs = await Promise.all(sizes.map(([w, h]) => encode(photoLike(w, h), JimpMime.png)));
      const outs = await Promise.all(inputs.map((input) => compressor.compressBytes(input)));
      assert.deepEqual(
        outs.map((o) => [o.width, o.height]),
        [
          [120, 90],
          [480, 480],
          [33, 44],
        ],
      );
    });

    it('takes ownership of the bytes it is given (transferred to the worker, not copied)', async () => {
      const input = await encode(photoLike(64, 64), JimpMime.png);
      const owned = new Uint8Array(input.byteLength);
      owned.set(input);
      await compressor.compressBytes(owned);
      assert.equal(owned.byteLength, 0, 'the buffer was detached by the transfer');
    });

    it('copies bytes that are a view into a larger buffer instead of taking the whole buffer', async () => {
      const input = await encode(photoLike(64, 64), JimpMime.png);
      const big = new Uint8Array(input.byteLength + 100);
      big.set(input, 50);
      const view = big.subarray(50, 50 + input.byteLength);
      const out = await compressor.compressBytes(view);
      assert.equal(out.width, 64);
      assert.equal(big.byteLength, input.byteLength + 100, 'the caller still has its buffer');
    });
  });

  describe('worker failures', () => {
    it('fails a job whose worker dies with worker-failed, then starts a fresh worker', async () => {
      const fake = new ImageCompressor({ workerPath: FAKE_WORKER });
      const png = await encode(photoLike(8, 8), JimpMime.png);
      const error = await rejectsWith(fake.compressBytes(png.slice(), { quality: FAKE_CRASH_QUALITY }), 'worker-failed');
      assert.match(error.message, /stopped unexpectedly \(exit code 7\)/);
      const out = await fake.compressBytes(png.slice());
      assert.equal(out.width, 1);
      await fake.dispose();
    });

    it('reports an uncaught exception in the worker as worker-failed', async () => {
      const fake = new ImageCompressor({ workerPath: FAKE_WORKER });
      const png = await encode(photoLike(8, 8), JimpMime.png);
      const error = await rejectsWith(fake.compressBytes(png, { quality: FAKE_THROW_QUALITY }), 'worker-failed');
      assert.match(error.message, /fake worker exploded/);
      await fake.dispose();
    });

    it('reports a worker that runs out of heap as worker-failed', async () => {
      const fake = new ImageCompressor({
        workerPath: FAKE_WORKER,
        resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
      });
      const png = await encode(photoLike(8, 8), JimpMime.png);
      const error = await rejectsWith(fake.compressBytes(png, { quality: FAKE_OOM_QUALITY }), 'worker-failed');
      assert.match(error.message, /ran out of memory/);
      await fake.dispose();
    });

    it('stops a job that hangs with timeout and serves the next one from a new worker', async () => {
      const fake = new ImageCompressor({ workerPath: FAKE_WORKER, jobTimeoutMs: 1500 });
      const png = await encode(photoLike(8, 8), JimpMime.png);
      await fake.compressBytes(png.slice()); // started, so the timeout below measures the hang only
      const started = Date.now();
      const error = await rejectsWith(fake.compressBytes(png.slice(), { quality: FAKE_HANG_QUALITY }), 'timeout');
      assert.ok(Date.now() - started >= 1400);
      assert.equal(error.message, 'This file took longer than 1.5 s to compress and was stopped');
      const out = await fake.compressBytes(png.slice());
      assert.equal(out.width, 1);
      await fake.dispose();
    });
  });

  describe('every job settles', () => {
    it('fails a job whose worker dies and still answers the jobs queued behind it, from a new worker', async () => {
      const fake = new ImageCompressor({ workerPath: FAKE_WORKER });
      const png = await encode(photoLike(8, 8), JimpMime.png);
      const dying = rejectsWith(fake.compressBytes(png.slice(), { quality: FAKE_CRASH_QUALITY }), 'worker-failed');
      const queued = [fake.compressBytes(png.slice()), fake.compressBytes(png.slice())];
      await dying;
      assert.deepEqual((await Promise.all(queued)).map((out) => out.width), [1, 1]);
      await fake.dispose();
    });

    it('fails a running job at once when disposed, without waiting for its timeout', async () => {
      const fake = new ImageCompressor({ workerPath: FAKE_WORKER, jobTimeoutMs: 60_000 });
      const png = await encode(photoLike(8, 8), JimpMime.png);
      await fake.compressBytes(png.slice()); // the worker is up, so the job below is running, not starting
      const hanging = rejectsWith(fake.compressBytes(png.slice(), { quality: FAKE_HANG_QUALITY }), 'worker-failed');
      const started = Date.now();
      await fake.dispose();
      const error = await hanging;
      assert.match(error.message, /shut down/);
      assert.ok(Date.now() - started < 5000, `dispose took ${Date.now() - started} ms`);
    });

    it('fails a job whose file is still being read when disposed', async () => {
      const own = new ImageCompressor({ workerPath: FAKE_WORKER });
      const file = path.join(tmp, 'settle.png');
      fs.writeFileSync(file, await encode(photoLike(8, 8), JimpMime.png));
      const reading = own.compressFile(file);
      await own.dispose();
      await rejectsWith(reading, 'worker-failed');
    });
  });

  describe('warm-up', () => {
    it('warm() starts the worker and runs the warm-up image through it, leaving it up for the first real image', async () => {
      const fresh = new ImageCompressor();
      try {
        assert.equal(fresh.workerStarted, false);
        await fresh.warm();
        assert.equal(fresh.workerStarted, true);
        const out = await fresh.compressBytes(await encode(photoLike(40, 30), JimpMime.png));
        assert.deepEqual([out.width, out.height], [40, 30]);
      } finally {
        await fresh.dispose();
      }
    });

    it('warm() resolves when the worker cannot start, and the next image says why', async () => {
      const broken = new ImageCompressor({ workerPath: NO_WORKER });
      try {
        await broken.warm();
        await rejectsWith(broken.compressBytes(await encode(photoLike(20, 20), JimpMime.png)), 'worker-failed');
      } finally {
        await broken.dispose();
      }
    });

    it('warm() does nothing once disposed', async () => {
      const gone = new ImageCompressor();
      await gone.dispose();
      await gone.warm();
      assert.equal(gone.workerStarted, false);
    });
  });

  describe('dispose', () => {
    it('terminates the worker and its libvips threads, and refuses later jobs', async function () {
      if (!fs.existsSync('/proc/self/task')) this.skip();
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const input = await encode(photoLike(64, 64), JimpMime.jpeg);
      const threadsBefore = threadCount();
      const timersBefore = timers();
      const own = new ImageCompressor();
      await own.compressBytes(input);
      assert.ok(threadCount() > threadsBefore, 'a worker thread was running');
      await own.dispose();
      assert.equal(threadCount(), threadsBefore, 'threads left behind');
      assert.equal(timers(), timersBefore, `timers left behind: ${process.getActiveResourcesInfo().join(', ')}`);
      await rejectsWith(own.compressBytes(await encode(photoLike(8, 8), JimpMime.png)), 'worker-failed');
    });

    it('stops a worker that has been idle for idleShutdownMs and starts a new one when needed', async function () {
      if (!fs.existsSync('/proc/self/task')) this.skip();
      const input = await encode(photoLike(64, 64), JimpMime.png);
      const threadsBefore = threadCount();
      const own = new ImageCompressor({ workerPath: FAKE_WORKER, idleShutdownMs: 200 });
      await own.compressBytes(input.slice());
      assert.ok(threadCount() > threadsBefore, 'a worker thread was running');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(threadCount(), threadsBefore, 'the idle worker was stopped');
      const out = await own.compressBytes(input.slice());
      assert.equal(out.width, 1); // the fake worker's answer, from a new worker
      await own.dispose();
    });

    it('fails jobs still queued when it is called', async () => {
      const own = new ImageCompressor({ workerPath: FAKE_WORKER });
      const png = await encode(photoLike(8, 8), JimpMime.png);
      const jobs = [own.compressBytes(png.slice()), own.compressBytes(png.slice())];
      const failures = jobs.map((job) => rejectsWith(job, 'worker-failed'));
      await own.dispose();
      await Promise.all(failures);
    });

    it('lets the process exit while idle, even without dispose (the CLI relies on it)', async () => {
      const script = `
        const { ImageCompressor } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/image'))});
        const { Jimp } = require('jimp');
        (async () => {
          const png = await new Jimp({ width: 30, height: 30, color: 0x336699ff }).getBuffer('image/png');
          const out = await new ImageCompressor().compressBytes(png);
          console.log('compressed', out.width);
        })();
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: path.resolve(__dirname, '../../..') });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => child.kill(), 20_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      assert.equal(code, 0, output);
      assert.match(output, /compressed 30/);
    });
  });
});
