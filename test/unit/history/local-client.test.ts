import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalHistoryClient, LocalHistoryError } from '../../../src/history/local-client';
import type { HistoryEntry } from '../../../src/history/local-entry';

const SCRIPTED = path.join(__dirname, 'fixtures', 'scripted-worker.cjs');
const ROOM = '127.0.0.1:12345/general';
const KEEP_ALL = { maxEntries: 1e9, maxAgeMs: 1e15, maxBytes: 1e15 };

/** Resolves with the error the promise rejects with; fails if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<LocalHistoryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LocalHistoryError, `rejected with ${String(error)}`);
    return error;
  }
  assert.fail('the request resolved');
}

describe('LocalHistoryClient', () => {
  const clients: LocalHistoryClient[] = [];
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-local-client-'));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function client(options: Partial<ConstructorParameters<typeof LocalHistoryClient>[0]> = {}): LocalHistoryClient {
    const created = new LocalHistoryClient({ file: path.join(dir, 'history.sqlite'), workerPath: SCRIPTED, ...options });
    clients.push(created);
    return created;
  }

  it('writes and reads through the real worker thread, off the calling thread', async () => {
    const history = client({ workerPath: undefined });
    const entry: HistoryEntry = {
      kind: 'text',
      id: '00000000000000a1',
      messageId: '00000000000000a1',
      from: 'bob',
      own: false,
      text: 'written in the worker',
      sentAt: 1_000,
      seq: 1,
      legacy: false,
      encrypted: false,
      delivered: true,
    };
    const [added] = await history.request({ op: 'append', key: ROOM, entries: [entry], now: 2_000, retention: KEEP_ALL });
    assert.equal(added!.added, true);
    const page = await history.request({ op: 'latest', key: ROOM, limit: 10 });
    assert.deepEqual(page.entries, [entry]);
    const hits = await history.request({ op: 'search', key: ROOM, query: 'worker', limit: 5 });
    assert.deepEqual(hits.map((hit) => hit.id), [entry.id]);
  });

  it('rejects every pending request when the worker dies, and starts a new one on the next request', async () => {
    const history = client();
    const before = await history.request({ op: 'lastRoom' });
    const hanging = [history.request({ op: 'latest', key: ROOM, limit: 1 }), history.request({ op: 'latest', key: ROOM, limit: 2 })];
    const killing = history.request({ op: 'marks', key: ROOM });
    const errors = await Promise.all([...hanging, killing].map(rejection));
    assert.deepEqual(errors.map((error) => error.code), ['crashed', 'crashed', 'crashed']);
    assert.match(errors[0]!.message, /exit code 3/);
    assert.equal(history.pending, 0);
    const after = await history.request({ op: 'lastRoom' });
    assert.notEqual(after, before, 'the same worker answered after it died');
  });

  it('fails a request the worker does not answer in time, ends that worker, and answers the next from a new one', async () => {
    // long enough for a thread to start on a busy machine; the unanswered request then waits it out
    const history = client({ requestTimeoutMs: 5_000 });
    const before = await history.request({ op: 'lastRoom' });
    const error = await rejection(history.request({ op: 'latest', key: ROOM, limit: 1 }));
    assert.equal(error.code, 'timeout');
    const after = await history.request({ op: 'lastRoom' });
    assert.notEqual(after, before);
  });

  it('refuses a request at once when too many are waiting', async () => {
    const history = client({ maxPending: 2 });
    const waiting = [history.request({ op: 'latest', key: ROOM, limit: 1 }), history.request({ op: 'latest', key: ROOM, limit: 1 })].map(rejection);
    const refused = await rejection(history.request({ op: 'lastRoom' }));
    assert.equal(refused.code, 'busy');
    await history.close();
    assert.deepEqual((await Promise.all(waiting)).map((error) => error.code), ['closed', 'closed']);
  });

  it('ignores a reply that is not one, and still answers the request', async () => {
    const logged: string[] = [];
    const history = client({ log: (_level, message) => logged.push(message) });
    assert.equal(await history.request({ op: 'touch', key: ROOM, now: 1 }), undefined);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /malformed reply/);
  });

  it('answers with "unavailable" when the file cannot be opened, and keeps answering', async () => {
    fs.writeFileSync(path.join(dir, 'not-a-folder'), 'x');
    const history = client({ workerPath: undefined, file: path.join(dir, 'not-a-folder', 'history.sqlite') });
    const first = await rejection(history.request({ op: 'lastRoom' }));
    const second = await rejection(history.request({ op: 'marks', key: ROOM }));
    assert.deepEqual([first.code, second.code], ['unavailable', 'unavailable']);
  });

  it('rejects requests made after close', async () => {
    const history = client();
    await history.close();
    assert.equal((await rejection(history.request({ op: 'lastRoom' }))).code, 'closed');
  });
});
