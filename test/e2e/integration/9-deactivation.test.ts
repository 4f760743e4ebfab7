/**
 * Deactivation: after shutdown() (what deactivate() runs) nothing the extension opened is left in the extension
 * host: no UDP socket, no timer, no worker thread (the image worker, the hosted relay's). Runs last: it shuts the
 * extension down.
 */
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import path from 'node:path';
import * as vscode from 'vscode';
import { api, baseline, CliPeer, countOf, extension, freeUdpPort, setSetting, sleep, stopAllPeers, workspaceFile } from './support';

const recorded = baseline();

/** Resource types that keep a process busy or hold the network: what must be gone after shutdown. */
const WATCHED = new Set(['UDPWRAP', 'Timeout', 'Immediate', 'TCPWRAP', 'PIPEWRAP']);

/**
 * Where in the extension's bundle the current call stack comes from, or undefined when it does not pass through it.
 * Reads raw call sites (file names of the bundle, not source-mapped ones); the extension host may chain
 * Error.prepareStackTrace to its own handler and hand back a string, which is searched instead.
 */
function creator(bundle: string): string | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_error, frames) => frames;
    Error.stackTraceLimit = 60;
    Error.captureStackTrace(holder);
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  const stack = holder.stack;
  if (Array.isArray(stack)) {
    const frame = (stack as NodeJS.CallSite[]).find((site) => (site.getFileName() ?? '').includes(bundle));
    return frame ? `${frame.getFunctionName() ?? '<anonymous>'} (${path.basename(bundle)}:${frame.getLineNumber()})` : undefined;
  }
  if (typeof stack === 'string') {
    const line = stack.split('\n').find((text) => text.includes(bundle));
    return line?.trim().replace(/^at /, '');
  }
  return undefined;
}

/**
 * Tracks the watched async resources created while it is enabled by the extension's own bundle (found by the raw
 * file names on the creating stack, not source-mapped ones) until they are destroyed.
 */
function trackExtensionResources(bundle: string): {
  live: Map<number, { type: string; where: string }>;
  /** Where UDP sockets not of the extension were created (to tell why none was found). */
  others: string[];
  stop: () => void;
} {
  const live = new Map<number, { type: string; where: string }>();
  const others: string[] = [];
  const hook = createHook({
    init(asyncId, type) {
      if (!WATCHED.has(type)) return;
      const where = creator(bundle);
      if (where) live.set(asyncId, { type, where });
      else if (type === 'UDPWRAP') others.push(new Error('created').stack ?? '');
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  });
  hook.enable();
  return { live, others, stop: () => hook.disable() };
}

describe('Deactivation', function () {
  this.timeout(60_000);

  afterEach(async () => {
    await stopAllPeers();
    await setSetting('udpChat.hostPort', undefined);
    await setSetting('udpChat.hostAddress', undefined);
  });

  it('shutdown() closes every UDP socket, timer and worker thread the extension opened', async () => {
    const { chat } = await api();
    const bundle = path.join(extension().extensionPath, 'dist', 'extension.js');
    const tracked = trackExtensionResources(bundle);
    try {
      // Everything at once: a hosted relay, the chat client joined to it, a peer, an image through the worker.
      const port = await freeUdpPort();
      await setSetting('udpChat.hostPort', port);
      await setSetting('udpChat.hostAddress', '127.0.0.1');
      assert.equal(await vscode.commands.executeCommand('udpChat.hostRelay'), true);
      const relay = `127.0.0.1:${port}`;
      const henry = await CliPeer.join({ relay, name: 'henry' });
      assert.equal(await vscode.commands.executeCommand('udpChat.join', { name: 'alice', relay, passphrase: '' }), true);
      const ids = await vscode.commands.executeCommand<string[]>('udpChat.sendImage', workspaceFile('sunset.png'));
      await henry.waitFor((event) => event.event === 'image' && event.id === ids[0], 'henry to get the image', 30_000);

      const during = process.getActiveResourcesInfo();
      // The hosted relay's socket is in its worker thread (checked with the other workers below), the client's here.
      assert.ok(countOf(during, 'UDPWrap') >= countOf(recorded.resources, 'UDPWrap') + 1, `the client socket is not open: ${during}`);
      assert.ok([...tracked.live.values()].some((resource) => resource.type === 'UDPWRAP'), `the hook saw no socket of the extension (${bundle}); others: ${tracked.others.join('\n---\n').slice(0, 3000)}`);
      const workersStarted = recorded.workers.length;
      assert.ok(workersStarted >= 1, 'no image worker was started');
      assert.ok(recorded.workers.some((worker) => !worker.exited), 'the image worker is not running');

      await chat.shutdown();

      // Whatever was still pending must be gone within a moment (a leave waits for the relay at most 1 s).
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && (tracked.live.size > 0 || recorded.workers.some((worker) => !worker.exited))) await sleep(100);
      const left = [...tracked.live.values()].map((resource) => `${resource.type} from ${resource.where}`);
      assert.deepEqual(left, [], 'sockets or timers of the extension outlived shutdown()');
      assert.deepEqual(
        recorded.workers.filter((worker) => !worker.exited).map((worker) => worker.worker.threadId),
        [],
        'worker threads outlived shutdown()',
      );
      const after = process.getActiveResourcesInfo();
      assert.equal(countOf(after, 'UDPWrap'), countOf(recorded.resources, 'UDPWrap'), `UDP sockets before activation: ${recorded.resources}; after shutdown: ${after}`);
      assert.equal(chat.relayHost.current, undefined);
      assert.equal(chat.session.joined, false);
      await henry.waitFor((event) => event.event === 'state' && event.state === 'reconnecting', 'henry to notice the hosted relay is gone');
    } finally {
      tracked.stop();
    }
  });
});
