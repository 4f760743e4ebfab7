/**
 * The main-thread face of image compression: reads and checks the input, then hands it to one worker thread that
 * does the decoding. The main thread only reads the file (async), probes its header (microseconds) and moves buffers;
 * it never decodes, so a hostile or huge image cannot stall the chat or the editor.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { checkHeader, imageErrorFor, ImageError, UNNAMED_SUBJECT, type ImageProblem } from './errors';
import { resolveCompressOptions, type CompressedImage, type CompressOptions } from './options';
import { startWorker, workerScript } from '../util/worker-thread';
import { warmUpJpeg } from './warm-up-image';
import { ownsWholeBuffer, type WorkerJob, type WorkerReply } from './worker-messages';

export interface ImageCompressorOptions {
  /**
   * The worker script. Default: image-worker.js next to this bundle (dist/), else src/image/worker.ts run through
   * tsx (tests, running from source). A .ts path is always started with tsx.
   */
  workerPath?: string;
  /** A job (including starting a fresh worker) that takes longer than this fails with 'timeout', in ms. */
  jobTimeoutMs?: number;
  /** V8 heap limits of the worker; decoded pixels live outside the heap (see docs/image-pipeline.md). */
  resourceLimits?: ResourceLimits;
  /** Larger inputs are refused before they are read, in bytes. */
  maxFileBytes?: number;
  /** A worker idle this long is stopped to give its memory back; the next image starts a new one, in ms. */
  idleShutdownMs?: number;
}

/**
 * A 50 MP PNG or LZW TIFF, which jimp decodes in JS, takes 5-10 s on a 2-core laptop; 30 s leaves room for a busy
 * machine while still ending anything that loops.
 */
export const DEFAULT_JOB_TIMEOUT_MS = 30_000;
/** A 48 MP JPEG at high quality is ~25 MB and a 50 MP 8-bit RGBA PNG at worst ~200 MB; 100 MB covers real photos. */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
/**
 * A warm worker holds ~200-300 MB (libvips' WebAssembly memory never shrinks) and restarting costs ~1 s, once per
 * burst of images: after two idle minutes the memory matters more to the editor than that second does.
 */
export const DEFAULT_IDLE_SHUTDOWN_MS = 120_000;
/**
 * jimp's decoders keep pixels in Buffers outside the V8 heap, and libvips in WebAssembly memory; the heap itself needs
 * little. These limits stop runaway JS allocation (a parser building huge arrays) without refusing real images.
 */
export const DEFAULT_WORKER_RESOURCE_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  maxOldGenerationSizeMb: 256,
  maxYoungGenerationSizeMb: 32,
  stackSizeMb: 4,
});

/** The worker script when none was given: the bundle's, or the TypeScript source when running under tsx. */
function defaultWorkerPath(): string {
  return workerScript(__dirname, 'image-worker.js', 'worker.ts');
}

interface Job {
  id: number;
  bytes: Uint8Array;
  options: CompressOptions;
  subject: string;
  resolve(image: CompressedImage): void;
  reject(error: ImageError): void;
  /** Stops listening to the caller's AbortSignal once the job settled. */
  release(): void;
}

interface Running {
  job: Job;
  worker: Worker;
  timer: NodeJS.Timeout;
}

/**
 * Owns one worker thread: started on the first job, reused, replaced after a crash or a timeout, and unref'd while
 * idle so that it never keeps the process alive. Jobs run one at a time in the order they were asked for.
 */
export class ImageCompressor {
  readonly #workerPath: string;
  readonly #jobTimeoutMs: number;
  readonly #resourceLimits: ResourceLimits;
  readonly #maxFileBytes: number;
  readonly #idleShutdownMs: number;
  #worker: Worker | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Why the current worker is going away, reported to the job it takes down. */
  #workerFailure: string | undefined;
  /** Workers told to terminate (timeout, dispose) whose exit has not been seen yet. */
  readonly #exiting = new Set<Promise<number>>();
  readonly #queue: Job[] = [];
  #running: Running | undefined;
  #nextJobId = 1;
  #disposed = false;

  constructor(options: ImageCompressorOptions = {}) {
    this.#workerPath = options.workerPath ?? defaultWorkerPath();
    this.#jobTimeoutMs = options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
    this.#resourceLimits = { ...DEFAULT_WORKER_RESOURCE_LIMITS, ...options.resourceLimits };
    this.#maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.#idleShutdownMs = options.idleShutdownMs ?? DEFAULT_IDLE_SHUTDOWN_MS;
    if (!(this.#jobTimeoutMs > 0)) throw new RangeError(`jobTimeoutMs must be positive, not ${this.#jobTimeoutMs}`);
    if (!(this.#maxFileBytes > 0)) throw new RangeError(`maxFileBytes must be positive, not ${this.#maxFileBytes}`);
  }

  /**
   * Reads `filePath` (refusing it first if it is larger than maxFileBytes) and compresses it. `signal` aborts it: a
   * queued job leaves the queue, a running one's worker is terminated (the next image starts a fresh one).
   */
  async compressFile(filePath: string, options?: Partial<CompressOptions>, signal?: AbortSignal): Promise<CompressedImage> {
    const resolved = resolveCompressOptions(options);
    const subject = path.basename(filePath);
    const bytes = await this.#readFile(filePath, subject);
    return this.#compress(bytes, resolved, subject, signal);
  }

  /**
   * Compresses an image file's bytes. Takes ownership of `bytes`: when it spans its whole ArrayBuffer, that buffer is
   * transferred to the worker rather than copied, and is detached (length 0) here afterwards. `subject` names the
   * image in error messages; `signal` aborts it as for compressFile.
   */
  async compressBytes(bytes: Uint8Array, options?: Partial<CompressOptions>, signal?: AbortSignal, subject = UNNAMED_SUBJECT): Promise<CompressedImage> {
    return this.#compress(bytes, resolveCompressOptions(options), subject, signal);
  }

  /**
   * Starts the worker and sends a tiny image through the whole pipeline, so that the user's first image does not pay
   * for the worker's start and the warm-up of libvips and the JIT (a cold 12 MP photo took 1,160 ms against 111 ms
   * warm). For idle time, e.g. when the chat opens. Never rejects (the first real image reports what is wrong);
   * does nothing once disposed, or while a worker is up or busy.
   */
  async warm(): Promise<void> {
    if (this.#disposed || this.#worker || this.#running || this.#queue.length > 0) return;
    try {
      await this.compressBytes(warmUpJpeg(), { maxWidth: 16, maxHeight: 16 });
    } catch {
      // Nothing to do: a broken worker fails the next real job with the reason.
    }
  }

  /** True while a worker thread is started (warm, or working). */
  get workerStarted(): boolean {
    return this.#worker !== undefined;
  }

  /** Fails queued and running jobs, terminates the worker and waits for it to exit: no thread or timer remains. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    clearTimeout(this.#idleTimer);
    const stopped: ImageProblem = { code: 'worker-failed', reason: 'image compression was shut down' };
    for (const job of this.#queue.splice(0)) job.reject(imageErrorFor(job.subject, stopped));
    const running = this.#running;
    if (running) {
      this.#running = undefined;
      clearTimeout(running.timer);
      running.job.reject(imageErrorFor(running.job.subject, stopped));
    }
    if (this.#worker) this.#terminate(this.#worker);
    await Promise.all(this.#exiting);
  }

  async #readFile(filePath: string, subject: string): Promise<Uint8Array> {
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(filePath, 'r');
      const stat = await handle.stat();
      if (!stat.isFile()) throw imageErrorFor(subject, { code: 'unreadable', reason: 'it is not a file' });
      this.#checkSize(stat.size, subject);
      const bytes = await handle.readFile();
      this.#checkSize(bytes.byteLength, subject); // it may have grown since stat
      return bytes;
    } catch (error) {
      if (error instanceof ImageError) throw error;
      throw imageErrorFor(subject, { code: 'unreadable', reason: describeFsError(error) }, error);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  #checkSize(bytes: number, subject: string): void {
    if (bytes > this.#maxFileBytes) {
      throw imageErrorFor(subject, { code: 'file-too-large', bytes, limit: this.#maxFileBytes });
    }
  }

  #compress(bytes: Uint8Array, options: CompressOptions, subject: string, signal?: AbortSignal): Promise<CompressedImage> {
    if (this.#disposed) {
      const problem: ImageProblem = { code: 'worker-failed', reason: 'image compression was shut down' };
      return Promise.reject(imageErrorFor(subject, problem));
    }
    if (signal?.aborted) return Promise.reject(imageErrorFor(subject, { code: 'aborted' }));
    // Everything that can be refused from the header is refused here, before a worker is even started.
    const problem = this.#precheck(bytes, options);
    if (problem) return Promise.reject(imageErrorFor(subject, problem));
    return new Promise<CompressedImage>((resolve, reject) => {
      const compressor = this;
      const job: Job = {
        id: this.#nextJobId++,
        bytes,
        options,
        subject,
        resolve: (image) => {
          job.release();
          resolve(image);
        },
        reject: (error) => {
          job.release();
          reject(error);
        },
        release: () => signal?.removeEventListener('abort', signalOnAbort),
      };
      function signalOnAbort(): void {
        compressor.#abort(job);
      }
      signal?.addEventListener('abort', signalOnAbort, { once: true });
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** The caller gave up on `job`: out of the queue, or its worker stopped so it frees the CPU and memory at once. */
  #abort(job: Job): void {
    const queued = this.#queue.indexOf(job);
    if (queued !== -1) {
      this.#queue.splice(queued, 1);
      job.reject(imageErrorFor(job.subject, { code: 'aborted' }));
      return;
    }
    const running = this.#running;
    if (!running || running.job !== job) return;
    clearTimeout(running.timer);
    this.#running = undefined;
    job.reject(imageErrorFor(job.subject, { code: 'aborted' }));
    this.#terminate(running.worker);
    this.#pump();
  }

  #precheck(bytes: Uint8Array, options: CompressOptions): ImageProblem | undefined {
    if (bytes.byteLength > this.#maxFileBytes) {
      return { code: 'file-too-large', bytes: bytes.byteLength, limit: this.#maxFileBytes };
    }
    const header = checkHeader(bytes, options.maxInputPixels);
    return header.ok ? undefined : header.problem;
  }

  /** Starts the next queued job if the worker is free. */
  #pump(): void {
    if (this.#running || this.#disposed) return;
    const job = this.#queue.shift();
    if (!job) {
      // Idle: the worker stays warm for the next image but must not hold the process open, nor its memory forever.
      const idle = this.#worker;
      if (idle) {
        idle.unref();
        clearTimeout(this.#idleTimer);
        this.#idleTimer = setTimeout(() => {
          if (this.#worker === idle && !this.#running) this.#terminate(idle);
        }, this.#idleShutdownMs);
        this.#idleTimer.unref();
      }
      return;
    }
    clearTimeout(this.#idleTimer);
    let worker: Worker;
    try {
      worker = this.#ensureWorker();
    } catch (error) {
      job.reject(imageErrorFor(job.subject, { code: 'worker-failed', reason: describeError(error) }, error));
      this.#pump();
      return;
    }
    worker.ref();
    const timer = setTimeout(() => this.#onTimeout(job), this.#jobTimeoutMs);
    this.#running = { job, worker, timer };
    const message: WorkerJob = { id: job.id, bytes: job.bytes, options: job.options };
    job.bytes = new Uint8Array(0); // the job no longer needs the input; do not keep a big buffer alive
    try {
      try {
        worker.postMessage(message, ownsWholeBuffer(message.bytes) ? [message.bytes.buffer as ArrayBuffer] : []);
      } catch {
        // Node marks some buffers (its pool, for one) untransferable: send a copy instead.
        worker.postMessage(message);
      }
    } catch (error) {
      clearTimeout(timer);
      this.#running = undefined;
      job.reject(imageErrorFor(job.subject, { code: 'worker-failed', reason: describeError(error) }, error));
      this.#pump();
    }
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startWorker(this.#workerPath, { resourceLimits: this.#resourceLimits });
    this.#worker = worker;
    this.#workerFailure = undefined;
    const compressor = this;
    worker.on('message', function workerOnMessage(reply: WorkerReply) {
      compressor.#onReply(worker, reply);
    });
    worker.on('error', function workerOnError(error: Error) {
      // An uncaught exception or ERR_WORKER_OUT_OF_MEMORY; 'exit' follows and fails the job.
      if (compressor.#worker === worker) compressor.#workerFailure ??= describeWorkerError(error);
    });
    worker.on('exit', function workerOnExit(exitCode: number) {
      compressor.#onExit(worker, exitCode);
    });
    return worker;
  }

  #onReply(worker: Worker, reply: WorkerReply): void {
    const running = this.#running;
    if (!running || running.worker !== worker || running.job.id !== reply.id) return; // a late reply to a timed-out job
    clearTimeout(running.timer);
    this.#running = undefined;
    if (reply.ok) running.job.resolve(reply.image);
    else running.job.reject(imageErrorFor(running.job.subject, reply.problem));
    this.#pump();
  }

  #onExit(worker: Worker, exitCode: number): void {
    if (this.#worker !== worker) return; // one we replaced on purpose
    this.#worker = undefined;
    const reason = this.#workerFailure ?? `the image worker stopped unexpectedly (exit code ${exitCode})`;
    const running = this.#running;
    if (running && running.worker === worker) {
      clearTimeout(running.timer);
      this.#running = undefined;
      running.job.reject(imageErrorFor(running.job.subject, { code: 'worker-failed', reason }));
    }
    this.#pump(); // the next job gets a fresh worker
  }

  #onTimeout(job: Job): void {
    const running = this.#running;
    if (!running || running.job !== job) return;
    this.#running = undefined;
    job.reject(imageErrorFor(job.subject, { code: 'timeout', afterMs: this.#jobTimeoutMs }));
    // The worker may be stuck in a decoder loop: only terminating it stops that. The next job starts a new one.
    this.#terminate(running.worker);
    this.#pump();
  }

  #terminate(worker: Worker): void {
    if (this.#worker === worker) this.#worker = undefined;
    const exited = worker.terminate().catch(() => -1);
    this.#exiting.add(exited);
    void exited.then(() => this.#exiting.delete(exited));
  }
}


function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    default:
      return describeError(error);
  }
}

function describeWorkerError(error: Error): string {
  if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return 'the image worker ran out of memory';
  }
  return `the image worker failed: ${describeError(error)}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
