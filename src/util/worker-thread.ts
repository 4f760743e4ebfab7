/** Starting a worker thread from a bundle (dist/*.js) or, in tests and from source, from its TypeScript file. */
import fs from 'node:fs';
import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `bundle` next to the running bundle (dist/) when it exists, else `source` next to the running source file. */
export function workerScript(dir: string, bundle: string, source: string): string {
  const bundled = path.join(dir, bundle);
  return fs.existsSync(bundled) ? bundled : path.join(dir, source);
}

/** Starts `file` (a bundle, or a TypeScript source under tsx) with `options` (workerData and what it transfers). */
export function startWorker(file: string, options: Pick<WorkerOptions, 'workerData' | 'resourceLimits' | 'transferList'> = {}): Worker {
  if (!file.endsWith('.ts')) return new Worker(file, options);
  // From TypeScript sources (tests): Node 20 does not apply `--import tsx` to worker threads, so a CommonJS
  // bootstrap registers tsx's require hook and then loads the worker's source.
  const tsxApi: string = 'tsx/cjs/api'; // a variable: bundles must not try to resolve tsx, they never take this path
  const bootstrap = `require(${JSON.stringify(require.resolve(tsxApi))}).register();require(${JSON.stringify(file)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
