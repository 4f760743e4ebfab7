/**
 * The hosted relay's real worker (src/relay/worker.ts), plus one way to crash it the way a bug would: on
 * `{ type: 'crash' }` it throws an uncaught error. Only tests start it (RelayHostOptions.workerPath).
 */
import { parentPort } from 'node:worker_threads';
import '../../src/relay/worker';

export const CRASH_MESSAGE = 'a bug in the relay worker';

parentPort?.on('message', function portOnCrashRequest(message: unknown) {
  if ((message as { type?: unknown } | null)?.type === 'crash') throw new Error(CRASH_MESSAGE);
});
