import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { ChatClient, ChatText } from '../../src/client/client';
import { RelayHost, RelayHostError, type HostedRelay, type RelayHostOptions } from '../../src/extension/relay-host';
import { DEFAULT_RETENTION } from '../../src/history/store';
import { startWorker } from '../../src/util/worker-thread';
import { closeAll, joinClient, newClient } from '../support/chat';
import { nextEvent, until } from '../support/events';

const CRASHING_WORKER = path.resolve(__dirname, '../support/crashing-relay-worker.ts');
const LOOPBACK = { host: '127.0.0.1', port: 0, acceptLegacy: false } as const;
/** A hosted relay as the clients of test/support/chat.ts take one. */
const at = (hosted: HostedRelay): { address: { port: number } } => ({ address: { port: hosted.port } });

describe('RelayHost: the hosted relay in its worker thread (real sockets)', () => {
  const hosts: RelayHost[] = [];
  const dirs: string[] = [];
  /** Every worker a host started, to check that none outlives its stop. */
  let workers: Worker[] = [];

  function newHost(options: RelayHostOptions = {}): RelayHost {
    const host = new RelayHost(() => {}, {
      spawn: (file) => {
        const worker = startWorker(file);
        workers.push(worker);
        return worker;
      },
      ...options,
    });
    hosts.push(host);
    return host;
  }

  function tempDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-relay-host-'));
    dirs.push(dir);
    return dir;
  }

  afterEach(async () => {
    await closeAll();
    await Promise.all(hosts.splice(0).map((host) => host.stop()));
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    workers = [];
  });

  it('starts the relay in a worker thread and reports where it listens', async () => {
    const host = newHost();
    const changed = nextEvent(host, 'changed');
    const hosted = await host.start(LOOPBACK);
    assert.equal(hosted.bindAddress, '127.0.0.1');
    assert.ok(hosted.port > 0);
    assert.deepEqual(await changed, [{ bindAddress: '127.0.0.1', port: hosted.port, members: 0 }]);
    assert.equal(workers.length, 1);
    await joinClient(at(hosted), 'ann'); // a relay answers on that port
  });

  it('counts the members that join and leave in changed events', async () => {
    const host = newHost();
    const hosted = await host.start(LOOPBACK);
    const one = nextEvent(host, 'changed', (relay) => relay?.members === 1);
    const ann = await joinClient(at(hosted), 'ann');
    await one;
    const two = nextEvent(host, 'changed', (relay) => relay?.members === 2);
    await joinClient(at(hosted), 'bob');
    await two;
    assert.equal(host.current?.members, 2);
    const back = nextEvent(host, 'changed', (relay) => relay?.members === 1);
    await ann.leave();
    await back;
  });

  it('stop settles, says so with changed(undefined), and leaves no worker thread running', async () => {
    const host = newHost();
    await host.start(LOOPBACK);
    const changed = nextEvent(host, 'changed');
    await host.stop();
    assert.deepEqual(await changed, [undefined]);
    assert.equal(host.current, undefined);
    assert.equal(workers[0]?.threadId, -1, 'the worker thread has exited');
    await host.stop(); // a second stop settles too
  });

  it('refuses a port in use with a readable reason, and ends that worker', async () => {
    const first = newHost();
    const hosted = await first.start(LOOPBACK);
    const second = newHost();
    await assert.rejects(second.start({ ...LOOPBACK, port: hosted.port }), (error: unknown) => {
      assert.ok(error instanceof RelayHostError);
      assert.match(error.message, new RegExp(`Port ${hosted.port} is already in use`));
      return true;
    });
    assert.equal(second.current, undefined);
    await until(() => workers[1]?.threadId === -1, 'the failed worker to exit');
  });

  it('settles a start whose worker dies before it listens, with the worker’s error', async () => {
    const host = newHost({ workerPath: path.join(os.tmpdir(), 'no-such-relay-worker.js') });
    await assert.rejects(host.start(LOOPBACK), (error: unknown) => {
      assert.ok(error instanceof RelayHostError);
      assert.match(error.message, /stopped before it was listening \(.*no-such-relay-worker/);
      return true;
    });
    assert.equal(host.current, undefined);
    assert.equal(host.failure, undefined, 'a start that failed is reported to its caller, not as a crash');
  });

  it('reports a crashed worker as stopped with its error, and the next start works on the same history', async () => {
    const dir = tempDir();
    const host = newHost({ workerPath: CRASHING_WORKER, historyFile: path.join(dir, 'relay-history.sqlite') });
    // The crash leaves the history file marked as this process's: the next start must take it back.
    await host.start({ ...LOOPBACK, history: DEFAULT_RETENTION });
    const stopped = nextEvent(host, 'changed');
    workers[0]!.postMessage({ type: 'crash' });
    assert.deepEqual(await stopped, [undefined]);
    assert.equal(host.current, undefined);
    assert.match(host.failure ?? '', /a bug in the relay worker/);
    const again = await host.start({ ...LOOPBACK, history: DEFAULT_RETENTION });
    assert.equal(host.failure, undefined);
    assert.equal(workers.length, 2);
    const one = nextEvent(host, 'changed', (relay) => relay?.members === 1);
    await joinClient(at(again), 'ann');
    await one;
  });

  it('keeps a message in its history across a stop and a start', async () => {
    const dir = tempDir();
    const host = newHost({ identityFile: path.join(dir, 'relay-identity.key'), historyFile: path.join(dir, 'relay-history.sqlite') });
    const withHistory = { ...LOOPBACK, history: DEFAULT_RETENTION };
    const before = await host.start(withHistory);
    const ann = await joinClient(at(before), 'ann', { history: { initial: 0 } });
    const id = ann.sendText('kept across restarts');
    await until(() => ann.pending().every((update) => update.id !== id), 'the relay to acknowledge the text');
    await host.stop();
    const after: HostedRelay = await host.start(withHistory);
    const bob = newClient(at(after), 'bob', { history: { initial: 10 } });
    const shown: ChatText[] = [];
    bob.on('message', (message) => shown.push(message));
    const ended = nextEvent(bob as ChatClient, 'backlog-end');
    await bob.connect();
    await ended;
    assert.deepEqual(shown.map((message) => [message.text, message.from, message.backlog]), [['kept across restarts', 'ann', true]]);
  });
});
