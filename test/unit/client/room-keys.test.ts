import assert from 'node:assert/strict';
import { RoomKeySource, type DeriveRoomKeys } from '../../../src/client/room-keys';
import type { RoomKeys } from '../../../src/protocol/room-crypto';
import { testRoomKeys } from '../../support/room-keys';

const salt = (fill: number): Uint8Array => new Uint8Array(16).fill(fill);

/** A derivation the test finishes by hand: each call waits in `pending` until `finish` resolves it. */
function manualDerive(keys: RoomKeys) {
  const pending: Array<{ salt: Uint8Array; resolve(keys: RoomKeys): void; reject(error: Error): void }> = [];
  const derive: DeriveRoomKeys = (_passphrase, _room, roomSalt) =>
    new Promise((resolve, reject) => pending.push({ salt: roomSalt, resolve, reject }));
  /** Settles the oldest pending derivation and lets the source run on. */
  const finish = async (error?: Error): Promise<void> => {
    const next = pending.shift();
    assert.ok(next, 'no derivation is running');
    if (error) next.reject(error);
    else next.resolve(keys);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { derive, pending, finish };
}

function recorder() {
  const ready: string[] = [];
  const failed: string[] = [];
  return {
    ready,
    failed,
    listener: {
      ready: (roomSalt: Uint8Array) => ready.push(Buffer.from(roomSalt).toString('hex').slice(0, 2)),
      failed: (error: Error) => failed.push(error.message),
    },
  };
}

describe('client/room-keys', function () {
  this.timeout(20_000);
  let keys: RoomKeys;
  before(async () => {
    keys = await testRoomKeys('correct horse', 'general');
  });

  it('derives once per salt: asked again for a salt it derived, it answers from memory', async () => {
    const manual = manualDerive(keys);
    const { ready, listener } = recorder();
    const source = new RoomKeySource('correct horse', 'general', listener, manual.derive);
    assert.equal(source.cached(salt(1)), undefined);
    source.request(salt(1));
    await manual.finish();
    assert.deepEqual(ready, ['01']);
    assert.ok(source.cached(salt(1)));
    source.request(salt(1));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ready, ['01', '01']);
    assert.equal(source.derivations, 1);
    assert.equal(manual.pending.length, 0);
  });

  it('runs one derivation at a time, and of the salts asked for meanwhile only the last', async () => {
    const manual = manualDerive(keys);
    const { ready, listener } = recorder();
    const source = new RoomKeySource('correct horse', 'general', listener, manual.derive);
    source.request(salt(1));
    source.request(salt(2));
    source.request(salt(3));
    // The one running asked for again (the relay's real Challenge after a forged one): the others are dropped.
    source.request(salt(1));
    assert.equal(manual.pending.length, 1);
    await manual.finish();
    assert.equal(manual.pending.length, 0);
    source.request(salt(5));
    source.request(salt(2));
    source.request(salt(4));
    await manual.finish();
    assert.deepEqual(manual.pending.map((entry) => entry.salt[0]), [4]);
    await manual.finish();
    assert.deepEqual(ready, ['01', '05', '04']);
    assert.equal(source.derivations, 3);
  });

  it('keeps one member key whatever the salt', async () => {
    const manual = manualDerive(keys);
    const source = new RoomKeySource('correct horse', 'general', recorder().listener, manual.derive);
    source.request(salt(1));
    await manual.finish();
    source.request(salt(2));
    await manual.finish();
    assert.deepEqual(source.cached(salt(1))?.memberPublicKey, source.cached(salt(2))?.memberPublicKey);
    assert.notDeepEqual(source.cached(salt(1))?.memberPublicKey, keys.memberPublicKey);
  });

  it('reports a failed derivation, and nothing at all once closed', async () => {
    const manual = manualDerive(keys);
    const { ready, failed, listener } = recorder();
    const source = new RoomKeySource('correct horse', 'general', listener, manual.derive);
    source.request(salt(1));
    await manual.finish(new Error('out of memory'));
    assert.deepEqual(failed, ['out of memory']);
    source.request(salt(2));
    source.close();
    await manual.finish();
    source.request(salt(3));
    assert.deepEqual(ready, []);
    assert.equal(manual.pending.length, 0);
  });
});
