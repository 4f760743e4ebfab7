import assert from 'node:assert/strict';
import { DEFAULT_RETENTION } from '../../../src/history/store';
import { isHostToWorker, isWorkerToHost, type HostToWorker, type WorkerToHost } from '../../../src/relay/worker-messages';

const START: HostToWorker = {
  type: 'start',
  config: { host: '127.0.0.1', port: 0, acceptLegacy: false, identityFile: '/k', history: { file: '/h.sqlite', retention: DEFAULT_RETENTION, reclaim: false } },
};

describe('hosted relay worker messages', () => {
  it('accepts every message the host sends', () => {
    assert.ok(isHostToWorker(START));
    assert.ok(isHostToWorker({ type: 'start', config: { host: '::', port: 65_535, acceptLegacy: true } }));
    assert.ok(isHostToWorker({ type: 'stop' }));
  });

  it('refuses a start whose port, retention or type is not one', () => {
    const config = START.type === 'start' ? START.config : undefined;
    assert.ok(!isHostToWorker({ type: 'start', config: { ...config, port: 70_000 } }));
    assert.ok(!isHostToWorker({ type: 'start', config: { ...config, port: -1 } }));
    assert.ok(!isHostToWorker({ type: 'start', config: { ...config, history: { file: '/h', reclaim: false, retention: { maxAgeMs: 0, maxRoomBytes: 1 } } } }));
    assert.ok(!isHostToWorker({ type: 'start', config: { ...config, identityFile: 7 } }));
    assert.ok(!isHostToWorker({ type: 'crash' }));
    assert.ok(!isHostToWorker(null));
  });

  it('accepts every message the worker sends', () => {
    const all: WorkerToHost[] = [
      { type: 'listening', host: '0.0.0.0', port: 12_345 },
      { type: 'failed', stage: 'listen', message: 'bind EADDRINUSE', code: 'EADDRINUSE' },
      { type: 'failed', stage: 'history', message: 'in use' },
      { type: 'members', count: 3 },
      { type: 'log', level: 'warn', message: 'x' },
      { type: 'stopped' },
    ];
    for (const message of all) assert.ok(isWorkerToHost(message), JSON.stringify(message));
  });

  it('refuses a worker message with a field out of its range', () => {
    assert.ok(!isWorkerToHost({ type: 'listening', host: '0.0.0.0', port: 1.5 }));
    assert.ok(!isWorkerToHost({ type: 'failed', stage: 'disk', message: 'x' }));
    assert.ok(!isWorkerToHost({ type: 'members', count: -1 }));
    assert.ok(!isWorkerToHost({ type: 'log', level: 'error', message: 'x' }));
    assert.ok(!isWorkerToHost({ type: 'listening' }));
    assert.ok(!isWorkerToHost([]));
  });
});
