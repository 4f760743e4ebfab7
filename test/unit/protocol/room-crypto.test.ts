import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ContentOpener,
  ContentSealer,
  deriveRoomKeys,
  ReplayWindow,
  SEAL_OVERHEAD_BYTES,
  signJoinProof,
  verifyJoinProof,
  type RoomKeys,
} from '../../../src/protocol/room-crypto';
import { PacketType } from '../../../src/protocol/types';

describe('room encryption', function () {
  // scrypt is deliberately slow (~100 ms a key); derive the few keys once.
  this.timeout(20_000);
  let general: RoomKeys;
  let generalAgain: RoomKeys;
  let wrong: RoomKeys;
  let otherRoom: RoomKeys;

  before(async () => {
    [general, generalAgain, wrong, otherRoom] = await Promise.all([
      deriveRoomKeys('correct horse battery staple', 'general'),
      deriveRoomKeys('correct horse battery staple', 'general'),
      deriveRoomKeys('Correct horse battery staple', 'general'),
      deriveRoomKeys('correct horse battery staple', 'random'),
    ]);
  });

  const text = new TextEncoder().encode('meet at noon');

  it('derives the same keys from the same passphrase and room', () => {
    assert.deepEqual(general.verifyKey, generalAgain.verifyKey);
    assert.ok(general.contentKey.equals(generalAgain.contentKey));
  });

  it('derives different keys for another passphrase or another room (salted per room)', () => {
    assert.notDeepEqual(general.verifyKey, wrong.verifyKey);
    assert.notDeepEqual(general.verifyKey, otherRoom.verifyKey);
    assert.ok(!general.contentKey.equals(otherRoom.contentKey));
  });

  it('opens what a member of the room sealed', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    const opened = new ContentOpener(generalAgain).open(PacketType.Text, 1n, sealed);
    assert.ok(opened.ok);
    assert.deepEqual(opened.plaintext, text);
    assert.equal(sealed.length, text.length + SEAL_OVERHEAD_BYTES);
  });

  it('hides the plaintext', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    assert.equal(Buffer.from(sealed).indexOf(Buffer.from('noon')), -1);
  });

  it('refuses with a wrong passphrase, in another room, or for another message id or type', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    assert.deepEqual(new ContentOpener(wrong).open(PacketType.Text, 1n, sealed), { ok: false, reason: 'forged' });
    assert.deepEqual(new ContentOpener(otherRoom).open(PacketType.Text, 1n, sealed), { ok: false, reason: 'forged' });
    assert.deepEqual(new ContentOpener(general).open(PacketType.Text, 2n, sealed), { ok: false, reason: 'forged' });
    assert.deepEqual(new ContentOpener(general).open(PacketType.Image, 1n, sealed), { ok: false, reason: 'forged' });
  });

  it('refuses any altered byte', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    for (let index = 0; index < sealed.length; index++) {
      const copy = sealed.slice();
      copy[index] = (copy[index] as number) ^ 0x01;
      const opened = new ContentOpener(general).open(PacketType.Text, 1n, copy);
      assert.equal(opened.ok, false, `byte ${index}`);
    }
  });

  it('refuses the same sealed payload twice', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    const opener = new ContentOpener(general);
    assert.ok(opener.open(PacketType.Text, 1n, sealed).ok);
    assert.deepEqual(opener.open(PacketType.Text, 1n, sealed), { ok: false, reason: 'replayed' });
  });

  it('never repeats a nonce, within a sender or across senders', () => {
    const nonces = new Set<string>();
    for (const sealer of [new ContentSealer(general), new ContentSealer(general)]) {
      for (let i = 0; i < 500; i++) nonces.add(Buffer.from(sealer.seal(PacketType.Text, BigInt(i), text).subarray(0, 12)).toString('hex'));
    }
    assert.equal(nonces.size, 1000);
  });

  it('opens payloads that arrive out of order within the window', () => {
    const sealer = new ContentSealer(general);
    const sealed = Array.from({ length: 50 }, (_, i) => sealer.seal(PacketType.Text, BigInt(i), text));
    const opener = new ContentOpener(general);
    for (const index of [...sealed.keys()].reverse()) assert.ok(opener.open(PacketType.Text, BigInt(index), sealed[index] as Uint8Array).ok);
  });

  it('returns a coded failure, never a throw, for random and cut bytes', () => {
    const opener = new ContentOpener(general);
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    for (let length = 0; length < sealed.length; length++) {
      assert.equal(opener.open(PacketType.Text, 1n, sealed.subarray(0, length)).ok, false);
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => !new ContentOpener(general).open(PacketType.Text, 1n, bytes).ok), { numRuns: 3000 });
  });

  describe('join proof', () => {
    const clientNonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const hopKey = new Uint8Array(32).fill(9);

    it('verifies with the room verifier', () => {
      const proof = signJoinProof(general, clientNonce, hopKey, 'ann');
      assert.equal(verifyJoinProof(generalAgain.verifyKey, proof, clientNonce, hopKey, 'ann', 'general'), true);
    });

    it('fails for another verifier, name, room, nonce or hop key', () => {
      const proof = signJoinProof(general, clientNonce, hopKey, 'ann');
      assert.equal(verifyJoinProof(wrong.verifyKey, proof, clientNonce, hopKey, 'ann', 'general'), false);
      assert.equal(verifyJoinProof(general.verifyKey, proof, clientNonce, hopKey, 'bob', 'general'), false);
      assert.equal(verifyJoinProof(general.verifyKey, proof, clientNonce, hopKey, 'ann', 'random'), false);
      assert.equal(verifyJoinProof(general.verifyKey, proof, new Uint8Array(8), hopKey, 'ann', 'general'), false);
      assert.equal(verifyJoinProof(general.verifyKey, proof, clientNonce, new Uint8Array(32), 'ann', 'general'), false);
    });

    it('refuses a verifier of small order, which would accept an all-zero signature', () => {
      for (const hex of ['00'.repeat(32), `01${'00'.repeat(31)}`, `00${'00'.repeat(30)}80`, `ec${'ff'.repeat(30)}7f`]) {
        assert.equal(verifyJoinProof(Buffer.from(hex, 'hex'), new Uint8Array(64), clientNonce, hopKey, 'ann', 'general'), false, hex);
      }
    });

    it('fails without throwing for garbage keys and proofs', () => {
      assert.equal(verifyJoinProof(new Uint8Array(32), new Uint8Array(64), clientNonce, hopKey, 'ann', 'general'), false);
      assert.equal(verifyJoinProof(general.verifyKey, new Uint8Array(3), clientNonce, hopKey, 'ann', 'general'), false);
    });
  });
});

describe('ReplayWindow', () => {
  it('accepts each counter once, in any order within the window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 400 }), (counters) => {
        const window = new ReplayWindow();
        const accepted = new Set<number>();
        let highest = 0;
        for (const counter of counters) {
          const fresh = !accepted.has(counter) && counter > highest - ReplayWindow.SIZE;
          assert.equal(window.check(counter), fresh, `counter ${counter}`);
          if (fresh) {
            window.accept(counter);
            accepted.add(counter);
            highest = Math.max(highest, counter);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses counter 0 and counters older than the window', () => {
    const window = new ReplayWindow();
    assert.equal(window.check(0), false);
    window.accept(5000);
    assert.equal(window.check(5000 - ReplayWindow.SIZE), false);
    assert.equal(window.check(5000 - ReplayWindow.SIZE + 1), true);
  });
});
