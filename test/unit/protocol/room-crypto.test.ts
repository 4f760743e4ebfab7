import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ContentOpener,
  ContentSealer,
  deriveRoomKeys,
  ReplayWindow,
  roomScryptSalt,
  SCRYPT_PARAMS,
  SEAL_OVERHEAD_BYTES,
  signJoinProof,
  verifyJoinProof,
  withFreshMemberKey,
  type RoomKeys,
} from '../../../src/protocol/room-crypto';
import { createCipheriv, hkdfSync, scrypt, sign } from 'node:crypto';
import { ROOM_SALT_BYTES } from '../../../src/protocol/codec';
import { PacketType } from '../../../src/protocol/types';

/** Two relays' salts for the same room. */
const SALT_A = new Uint8Array(ROOM_SALT_BYTES).fill(0xa1);
const SALT_B = new Uint8Array(ROOM_SALT_BYTES).fill(0xb2);

describe('room encryption', function () {
  // scrypt is deliberately slow (~0.5 s and 128 MiB a key); derive the few keys once.
  this.timeout(20_000);
  let general: RoomKeys;
  let generalAgain: RoomKeys;
  let wrong: RoomKeys;
  let otherRoom: RoomKeys;
  let otherRelay: RoomKeys;

  before(async () => {
    [general, generalAgain, wrong, otherRoom, otherRelay] = await Promise.all([
      deriveRoomKeys('correct horse battery staple', 'general', SALT_A),
      deriveRoomKeys('correct horse battery staple', 'general', SALT_A),
      deriveRoomKeys('Correct horse battery staple', 'general', SALT_A),
      deriveRoomKeys('correct horse battery staple', 'random', SALT_A),
      deriveRoomKeys('correct horse battery staple', 'general', SALT_B),
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

  it('derives other keys and another verifier for the same passphrase and room on a relay with another salt', () => {
    assert.notDeepEqual(general.verifyKey, otherRelay.verifyKey);
    assert.ok(!general.contentKey.equals(otherRelay.contentKey));
  });

  it('derives with scrypt at N = 2^17, r = 8, p = 1 over the domain, the relay salt and the room', async () => {
    assert.deepEqual({ ...SCRYPT_PARAMS }, { N: 2 ** 17, r: 8, p: 1 });
    const secret = await new Promise<Buffer>((resolve, reject) =>
      scrypt('correct horse battery staple', roomScryptSalt('general', SALT_A), 32, { ...SCRYPT_PARAMS, maxmem: 256 * 1024 * 1024 }, (error, key) =>
        error ? reject(error) : resolve(key),
      ),
    );
    assert.deepEqual(roomScryptSalt('general', SALT_A), Buffer.concat([Buffer.from('udpchat v3 room\0'), SALT_A, Buffer.from('general')]));
    const contentKey = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'udpchat v1 content', 32));
    assert.ok(general.contentKey.export().equals(contentKey), 'the room key is not scrypt with these parameters');
  });

  it('refuses a room salt that is not 16 bytes', async () => {
    await assert.rejects(deriveRoomKeys('correct horse battery staple', 'general', new Uint8Array(15)), RangeError);
  });

  it('opens what a member of the room sealed', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    const opened = new ContentOpener(generalAgain).open(PacketType.Text, 1n, sealed, general.memberPublicKey);
    assert.ok(opened.ok);
    assert.deepEqual(opened.plaintext, text);
    assert.equal(sealed.length, text.length + SEAL_OVERHEAD_BYTES);
  });

  it('hides the plaintext', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    assert.equal(Buffer.from(sealed).indexOf(Buffer.from('noon')), -1);
  });

  it('refuses with a wrong passphrase as forged', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    assert.deepEqual(new ContentOpener(wrong).open(PacketType.Text, 1n, sealed, general.memberPublicKey), { ok: false, reason: 'forged' });
  });

  it('refuses in another room, or for another message id or type, as unverified (the signature covers them)', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    assert.deepEqual(new ContentOpener(otherRoom).open(PacketType.Text, 1n, sealed, general.memberPublicKey), { ok: false, reason: 'unverified' });
    assert.deepEqual(new ContentOpener(general).open(PacketType.Text, 2n, sealed, general.memberPublicKey), { ok: false, reason: 'unverified' });
    assert.deepEqual(new ContentOpener(general).open(PacketType.Image, 1n, sealed, general.memberPublicKey), { ok: false, reason: 'unverified' });
  });

  it('refuses a payload sealed with the room key but signed by another member than the claimed one', () => {
    const mallory = withFreshMemberKey(general);
    const sealed = new ContentSealer(mallory).seal(PacketType.Text, 1n, text);
    assert.deepEqual(new ContentOpener(general).open(PacketType.Text, 1n, sealed, general.memberPublicKey), { ok: false, reason: 'unverified' });
    assert.ok(new ContentOpener(general).open(PacketType.Text, 1n, sealed, mallory.memberPublicKey).ok);
  });

  it('refuses a payload whose sender has no known member key', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    assert.deepEqual(new ContentOpener(general).open(PacketType.Text, 1n, sealed, undefined), { ok: false, reason: 'unverified' });
    assert.deepEqual(new ContentOpener(general).open(PacketType.Text, 1n, sealed, new Uint8Array(31)), { ok: false, reason: 'unverified' });
  });

  it("does not let another member burn a sender's nonces: replay windows are per sender key", () => {
    const alice = general;
    const mallory = withFreshMemberKey(general);
    const real = new ContentSealer(alice).seal(PacketType.Text, 7n, text);
    // Mallory holds the content key: she seals under alice's very nonce (epoch and counter), signed with her key.
    const forged = sealWithNonce(mallory, PacketType.Text, 7n, text, real.subarray(0, 12));
    const opener = new ContentOpener(general);
    assert.ok(opener.open(PacketType.Text, 7n, forged, mallory.memberPublicKey).ok);
    assert.ok(opener.open(PacketType.Text, 7n, real, alice.memberPublicKey).ok);
  });

  it('reports the cost of signing and verifying a message (printed, not asserted)', () => {
    const sealer = new ContentSealer(general);
    const opener = new ContentOpener(generalAgain);
    const rounds = 500;
    const sealed: Uint8Array[] = [];
    const sealStart = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) sealed.push(sealer.seal(PacketType.Text, BigInt(i), text));
    const sealEnd = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) assert.ok(opener.open(PacketType.Text, BigInt(i), sealed[i] as Uint8Array, general.memberPublicKey).ok);
    const openEnd = process.hrtime.bigint();
    const micros = (ns: bigint): string => (Number(ns) / 1000 / rounds).toFixed(1);
    console.log(`      seal+sign ${micros(sealEnd - sealStart)} µs, verify+open ${micros(openEnd - sealEnd)} µs per 12-byte text`);
  });

  it('refuses any altered byte', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    for (let index = 0; index < sealed.length; index++) {
      const copy = sealed.slice();
      copy[index] = (copy[index] as number) ^ 0x01;
      const opened = new ContentOpener(general).open(PacketType.Text, 1n, copy, general.memberPublicKey);
      assert.equal(opened.ok, false, `byte ${index}`);
    }
  });

  it('refuses the same sealed payload twice', () => {
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    const opener = new ContentOpener(general);
    assert.ok(opener.open(PacketType.Text, 1n, sealed, general.memberPublicKey).ok);
    assert.deepEqual(opener.open(PacketType.Text, 1n, sealed, general.memberPublicKey), { ok: false, reason: 'replayed' });
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
    for (const index of [...sealed.keys()].reverse()) assert.ok(opener.open(PacketType.Text, BigInt(index), sealed[index] as Uint8Array, general.memberPublicKey).ok);
  });

  it('returns a coded failure, never a throw, for random and cut bytes', () => {
    const opener = new ContentOpener(general);
    const sealed = new ContentSealer(general).seal(PacketType.Text, 1n, text);
    for (let length = 0; length < sealed.length; length++) {
      assert.equal(opener.open(PacketType.Text, 1n, sealed.subarray(0, length), general.memberPublicKey).ok, false);
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => !new ContentOpener(general).open(PacketType.Text, 1n, bytes, general.memberPublicKey).ok), { numRuns: 3000 });
  });

  describe('join proof', () => {
    const clientNonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const hopKey = new Uint8Array(32).fill(9);

    it('verifies with the room verifier', () => {
      const proof = signJoinProof(general, clientNonce, hopKey, 'ann');
      assert.equal(verifyJoinProof(generalAgain.verifyKey, proof, clientNonce, hopKey, general.memberPublicKey, 'ann', 'general'), true);
    });

    it('fails for another verifier, name, room, nonce or hop key', () => {
      const proof = signJoinProof(general, clientNonce, hopKey, 'ann');
      assert.equal(verifyJoinProof(wrong.verifyKey, proof, clientNonce, hopKey, general.memberPublicKey, 'ann', 'general'), false);
      assert.equal(verifyJoinProof(general.verifyKey, proof, clientNonce, hopKey, general.memberPublicKey, 'bob', 'general'), false);
      assert.equal(verifyJoinProof(general.verifyKey, proof, clientNonce, hopKey, general.memberPublicKey, 'ann', 'random'), false);
      assert.equal(verifyJoinProof(general.verifyKey, proof, new Uint8Array(8), hopKey, general.memberPublicKey, 'ann', 'general'), false);
      assert.equal(verifyJoinProof(general.verifyKey, proof, clientNonce, new Uint8Array(32), general.memberPublicKey, 'ann', 'general'), false);
    });

    it('fails for another member key than the one the proof covers', () => {
      const proof = signJoinProof(general, clientNonce, hopKey, 'ann');
      assert.equal(verifyJoinProof(general.verifyKey, proof, clientNonce, hopKey, withFreshMemberKey(general).memberPublicKey, 'ann', 'general'), false);
      assert.equal(verifyJoinProof(general.verifyKey, proof, clientNonce, hopKey, new Uint8Array(32), 'ann', 'general'), false);
    });

    it('refuses a verifier of small order, which would accept an all-zero signature', () => {
      for (const hex of ['00'.repeat(32), `01${'00'.repeat(31)}`, `00${'00'.repeat(30)}80`, `ec${'ff'.repeat(30)}7f`]) {
        assert.equal(verifyJoinProof(Buffer.from(hex, 'hex'), new Uint8Array(64), clientNonce, hopKey, general.memberPublicKey, 'ann', 'general'), false, hex);
      }
    });

    it('fails without throwing for garbage keys and proofs', () => {
      assert.equal(verifyJoinProof(new Uint8Array(32), new Uint8Array(64), clientNonce, hopKey, general.memberPublicKey, 'ann', 'general'), false);
      assert.equal(verifyJoinProof(general.verifyKey, new Uint8Array(3), clientNonce, hopKey, general.memberPublicKey, 'ann', 'general'), false);
    });
  });
});

/** A sealed payload built by hand with a chosen nonce, as a member holding the content key could. */
function sealWithNonce(keys: RoomKeys, type: number, messageId: bigint, plaintext: Uint8Array, nonce: Uint8Array): Uint8Array {
  const fixed = Buffer.alloc(9);
  fixed.writeUInt8(type, 0);
  fixed.writeBigUInt64BE(messageId, 1);
  const aad = Buffer.concat([Buffer.from(`udpchat v2 sealed\0${keys.room}\0`, 'utf8'), fixed, keys.memberPublicKey]);
  const cipher = createCipheriv('aes-256-gcm', keys.contentKey, nonce, { authTagLength: 16 });
  cipher.setAAD(aad);
  const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const signature = sign(null, Buffer.concat([Buffer.from('udpchat v2 sender\0', 'utf8'), aad, sealed]), keys.memberKey);
  return new Uint8Array(Buffer.concat([sealed, signature]));
}

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
