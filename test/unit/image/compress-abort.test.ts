import assert from 'node:assert/strict';
import path from 'node:path';
import { ImageCompressor, ImageError } from '../../../src/image';
import { FAKE_HANG_QUALITY } from './fixtures/fake-worker';
import { pngWithHeader } from './fixtures/images';

const FAKE_WORKER = path.join(__dirname, 'fixtures', 'fake-worker.ts');

async function aborted(promise: Promise<unknown>): Promise<ImageError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageError, String(error));
    assert.equal(error.code, 'aborted', error.message);
    return error;
  }
  assert.fail('expected the job to be aborted, but it resolved');
}

describe('ImageCompressor with an AbortSignal', function () {
  let compressor: ImageCompressor;
  beforeEach(() => {
    compressor = new ImageCompressor({ workerPath: FAKE_WORKER, jobTimeoutMs: 20_000 });
  });
  afterEach(() => compressor.dispose());

  it('rejects at once, starting no worker, when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await aborted(compressor.compressBytes(pngWithHeader(10, 10), {}, controller.signal, 'shot.png'));
    assert.equal(error.message, 'shot.png was not compressed: cancelled');
    assert.equal(compressor.workerStarted, false);
  });

  it('stops a running job long before its time-out and runs the next image on a fresh worker', async () => {
    const controller = new AbortController();
    const hanging = compressor.compressBytes(pngWithHeader(10, 10), { quality: FAKE_HANG_QUALITY }, controller.signal);
    const next = compressor.compressBytes(pngWithHeader(10, 10));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the worker is now spinning on the first job
    const started = performance.now();
    controller.abort();
    await aborted(hanging);
    assert.ok(performance.now() - started < 1_000, 'the abort waited for the job');
    const image = await next;
    assert.equal(image.width, 1, 'the queued job ran after the aborted one');
  });

  it('takes a queued job out of the queue without touching the running one', async () => {
    const first = new AbortController();
    const second = new AbortController();
    const running = compressor.compressBytes(pngWithHeader(10, 10), { quality: FAKE_HANG_QUALITY }, first.signal);
    const queued = compressor.compressBytes(pngWithHeader(10, 10), {}, second.signal);
    second.abort();
    await aborted(queued);
    const stillRunning = await Promise.race([running.then(() => 'settled', () => 'settled'), new Promise((resolve) => setTimeout(() => resolve('running'), 200))]);
    assert.equal(stillRunning, 'running');
    first.abort();
    await aborted(running);
  });
});
