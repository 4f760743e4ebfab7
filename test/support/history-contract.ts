/**
 * The behaviour every HistoryStore shares (numbering, pages, retention), run against each implementation by its
 * own test file, so the in-memory store other modules test with cannot drift from the SQLite one.
 */
import assert from 'node:assert/strict';
import type { HistoryStore, NewStoredMessage } from '../../src/history/store';
import { storedBytes } from '../../src/history/store';

const DAY_MS = 24 * 60 * 60 * 1000;
export const T0_MS = Date.UTC(2026, 0, 1);

export function newMessage(room: string, text: string, overrides: Partial<NewStoredMessage> = {}): NewStoredMessage {
  return {
    room,
    type: 1,
    messageId: 1n,
    from: 'ada',
    memberKey: undefined,
    storedAt: T0_MS,
    payload: new TextEncoder().encode(text),
    ...overrides,
  };
}

const texts = (messages: readonly { payload: Uint8Array }[]): string[] =>
  messages.map((message) => new TextDecoder().decode(message.payload));
const seqs = (messages: readonly { seq: number }[]): number[] => messages.map((message) => message.seq);

/** `open()` gives a fresh, empty store; the suite closes what it opens. */
export function historyStoreContract(open: () => HistoryStore | Promise<HistoryStore>): void {
  let store: HistoryStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(() => store.close());

  it('stores a message under the number the relay announced, skipping ahead, and numbers on from there', () => {
    store.append([newMessage('a', 'a1')]);
    const stored = store.append([newMessage('a', 'a2', { seq: 70_000 }), newMessage('a', 'a3')]);
    assert.deepEqual(seqs(stored), [70_000, 70_001]);
    assert.equal(store.latestSeq('a'), 70_001);
    assert.deepEqual(seqs(store.after('a', 1, 10)), [70_000, 70_001]);
  });

  it('refuses a number at or below the room\'s latest, and stores nothing of that batch', () => {
    store.append([newMessage('a', 'a1'), newMessage('a', 'a2')]);
    assert.throws(() => store.append([newMessage('a', 'a3'), newMessage('a', 'again', { seq: 2 })]), /not above/);
    assert.equal(store.latestSeq('a'), 2);
    assert.deepEqual(texts(store.after('a', 0, 10)), ['a1', 'a2']);
  });

  it('numbers each room on its own, 1, 2, 3 in append order, and says so in what append returns', () => {
    const stored = store.append([newMessage('a', 'a1'), newMessage('b', 'b1'), newMessage('a', 'a2')]);
    assert.deepEqual(
      stored.map((message) => [message.room, message.seq]),
      [
        ['a', 1],
        ['b', 1],
        ['a', 2],
      ],
    );
    assert.equal(store.latestSeq('a'), 2);
    assert.equal(store.latestSeq('b'), 1);
    assert.equal(store.latestSeq('never-used'), 0);
  });

  it('keeps every field as given: a full 64-bit id, the member key, the time and the payload bytes', () => {
    const key = new Uint8Array(32).fill(7);
    const payload = new Uint8Array([0, 255, 1, 254]);
    store.append([
      newMessage('a', '', { type: 9, messageId: 0xffff_ffff_ffff_fffen, from: 'Zoë', memberKey: key, storedAt: 42, payload }),
      newMessage('a', 'x', { messageId: 0n }),
    ]);
    const [first, second] = store.after('a', 0, 10);
    assert.deepEqual(
      { ...first, payload: [...first!.payload], memberKey: [...first!.memberKey!] },
      {
        room: 'a',
        seq: 1,
        type: 9,
        messageId: 0xffff_ffff_ffff_fffen,
        from: 'Zoë',
        memberKey: [...key],
        storedAt: 42,
        payload: [...payload],
      },
    );
    assert.equal(second!.memberKey, undefined);
    assert.equal(second!.messageId, 0n);
  });

  it('pages forward with after(): seq > afterSeq, oldest first, at most limit', () => {
    store.append(Array.from({ length: 10 }, (_, i) => newMessage('a', `m${i + 1}`)));
    store.append([newMessage('b', 'other room')]);
    assert.deepEqual(seqs(store.after('a', 0, 3)), [1, 2, 3]);
    assert.deepEqual(seqs(store.after('a', 7, 50)), [8, 9, 10]);
    assert.deepEqual(texts(store.after('a', 8, 1)), ['m9']);
    assert.deepEqual(store.after('a', 10, 5), []);
    assert.deepEqual(store.after('a', 0, 0), []);
    assert.deepEqual(store.after('nowhere', 0, 5), []);
  });

  it('pages backward with before(): the newest messages below beforeSeq, returned oldest first', () => {
    store.append(Array.from({ length: 10 }, (_, i) => newMessage('a', `m${i + 1}`)));
    assert.deepEqual(seqs(store.before('a', 11, 3)), [8, 9, 10]);
    assert.deepEqual(seqs(store.before('a', 4, 50)), [1, 2, 3]);
    assert.deepEqual(store.before('a', 1, 5), []);
    assert.deepEqual(store.before('nowhere', 5, 5), []);
  });

  it('drops messages older than maxAgeMs and keeps the rest', () => {
    store.append([
      newMessage('a', 'old', { storedAt: T0_MS }),
      newMessage('b', 'old too', { storedAt: T0_MS + 1 }),
      newMessage('a', 'new', { storedAt: T0_MS + 2 * DAY_MS }),
    ]);
    const dropped = store.prune(T0_MS + 3 * DAY_MS, { maxAgeMs: 2 * DAY_MS, maxRoomBytes: 1e9 });
    assert.equal(dropped, 2);
    assert.deepEqual(texts(store.after('a', 0, 10)), ['new']);
    assert.deepEqual(store.after('b', 0, 10), []);
  });

  it('keeps each room within maxRoomBytes by dropping its oldest messages, leaving other rooms alone', () => {
    const message = (room: string, i: number) => newMessage(room, `${i}`.padStart(100, '.'));
    store.append(Array.from({ length: 10 }, (_, i) => message('big', i)));
    store.append(Array.from({ length: 3 }, (_, i) => message('small', i)));
    const each = storedBytes(message('big', 0));
    // Exactly four messages' worth: a room at its limit keeps what it has.
    const dropped = store.prune(T0_MS, { maxAgeMs: DAY_MS, maxRoomBytes: 4 * each });
    assert.equal(dropped, 6);
    assert.deepEqual(seqs(store.after('big', 0, 50)), [7, 8, 9, 10]);
    assert.deepEqual(seqs(store.after('small', 0, 50)), [1, 2, 3]);
  });

  it('prunes at most maxMessages per call and says so, the oldest first', () => {
    store.append(Array.from({ length: 5 }, (_, i) => newMessage('a', `m${i + 1}`, { storedAt: T0_MS + i })));
    const retention = { maxAgeMs: DAY_MS, maxRoomBytes: 1e9 };
    assert.equal(store.prune(T0_MS + 2 * DAY_MS, retention, 2), 2);
    assert.deepEqual(seqs(store.after('a', 0, 50)), [3, 4, 5]);
    assert.equal(store.prune(T0_MS + 2 * DAY_MS, retention, 10), 3);
  });

  it('prunes at most maxMessages per call by size too, counting what age already dropped', () => {
    store.append([newMessage('a', 'expired', { storedAt: T0_MS - 2 * DAY_MS })]);
    store.append(Array.from({ length: 5 }, (_, i) => newMessage('a', `m${i + 1}`)));
    const retention = { maxAgeMs: DAY_MS, maxRoomBytes: 0 };
    assert.equal(store.prune(T0_MS, retention, 3), 3);
    assert.deepEqual(seqs(store.after('a', 0, 50)), [4, 5, 6]);
  });

  it('never gives a number twice: after retention emptied a room, numbering goes on from the highest', () => {
    store.append([newMessage('a', 'one'), newMessage('a', 'two')]);
    store.prune(T0_MS + 2 * DAY_MS, { maxAgeMs: DAY_MS, maxRoomBytes: 1e9 });
    assert.deepEqual(store.after('a', 0, 10), []);
    assert.equal(store.latestSeq('a'), 2);
    assert.deepEqual(seqs(store.append([newMessage('a', 'three')])), [3]);
  });
}

/** The pin of a room's verifier, kept with its stored messages: the part of the contract room admission relies on. */
export function roomPinContract(open: () => HistoryStore | Promise<HistoryStore>): void {
  let store: HistoryStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(() => store.close());
  const verifier = new Uint8Array(32).fill(9);
  const retention = { maxAgeMs: DAY_MS, maxRoomBytes: 1e9 };

  it('keeps a sealed room\'s verifier and an open room\'s null while they have messages', () => {
    store.pinRoom('sealed', verifier);
    store.pinRoom('open', null);
    store.append([newMessage('sealed', 'x'), newMessage('open', 'y')]);
    assert.deepEqual([...(store.roomVerifier('sealed') ?? [])], [...verifier]);
    assert.equal(store.roomVerifier('open'), null);
    assert.equal(store.roomVerifier('never-used'), undefined);
  });

  it('has no pin in force for a room with messages that was never pinned', () => {
    store.append([newMessage('a', 'x')]);
    assert.equal(store.roomVerifier('a'), undefined);
  });

  it('holds a pin written before any message until the first one is stored', () => {
    store.pinRoom('a', verifier);
    assert.equal(store.roomVerifier('a'), undefined);
    store.append([newMessage('a', 'x')]);
    assert.deepEqual([...(store.roomVerifier('a') ?? [])], [...verifier]);
  });

  it('replaces a pin with the one written last', () => {
    store.append([newMessage('a', 'x')]);
    store.pinRoom('a', verifier);
    store.pinRoom('a', null);
    assert.equal(store.roomVerifier('a'), null);
  });

  it('keeps the pin while retention leaves the room some messages', () => {
    store.pinRoom('a', verifier);
    store.append([newMessage('a', 'old', { storedAt: T0_MS }), newMessage('a', 'new', { storedAt: T0_MS + 2 * DAY_MS })]);
    assert.equal(store.prune(T0_MS + 2 * DAY_MS, retention), 1);
    assert.deepEqual([...(store.roomVerifier('a') ?? [])], [...verifier]);
  });

  it('drops the pin with the room\'s last message: the next message finds the room unpinned', () => {
    store.pinRoom('a', verifier);
    store.pinRoom('b', null);
    store.append([newMessage('a', 'old'), newMessage('b', 'old')]);
    assert.equal(store.prune(T0_MS + 2 * DAY_MS, retention), 2);
    assert.equal(store.roomVerifier('a'), undefined);
    store.append([newMessage('a', 'after retention'), newMessage('b', 'after retention')]);
    assert.equal(store.roomVerifier('a'), undefined);
    assert.equal(store.roomVerifier('b'), undefined);
  });

  it('drops the pin when retention by size empties the room', () => {
    store.pinRoom('a', verifier);
    store.append([newMessage('a', 'x')]);
    assert.equal(store.prune(T0_MS, { maxAgeMs: DAY_MS, maxRoomBytes: 0 }), 1);
    store.append([newMessage('a', 'y')]);
    assert.equal(store.roomVerifier('a'), undefined);
  });
}
