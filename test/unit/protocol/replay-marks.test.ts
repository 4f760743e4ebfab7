import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  decodeReplayMarks,
  encodeReplayMarks,
  MAX_REPLAY_MARKS,
  MAX_REPLAY_MARKS_BYTES,
  REPLAY_MARK_BYTES,
  type ReplayMark,
} from '../../../src/protocol/replay-marks';
import { ContentOpener, ContentSealer, deriveRoomKeys, withFreshMemberKey, type RoomKeys } from '../../../src/protocol/room-crypto';
import { PacketType } from '../../../src/protocol/types';

function mark(counter: number): ReplayMark {
  return { senderKey: new Uint8Array(randomBytes(32)), epoch: new Uint8Array(randomBytes(8)), counter };
}

describe('replay marks: the stored form', () => {
  it('decodes what it encoded, in order', () => {
    const marks = [mark(1), mark(0xffff_ffff), mark(77)];
    const decoded = decodeReplayMarks(encodeReplayMarks(marks));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.marks, marks);
  });

  it('takes 44 bytes a mark, and at most 45,059 bytes for the 1,024 it keeps', () => {
    assert.equal(REPLAY_MARK_BYTES, 44);
    assert.equal(MAX_REPLAY_MARKS_BYTES, 45_059);
    assert.equal(encodeReplayMarks([mark(1), mark(2)]).length, 3 + 2 * 44);
    const many = Array.from({ length: MAX_REPLAY_MARKS + 10 }, (_, index) => mark(index + 1));
    const bytes = encodeReplayMarks(many);
    assert.equal(bytes.length, MAX_REPLAY_MARKS_BYTES);
    const decoded = decodeReplayMarks(bytes);
    assert.ok(decoded.ok);
    // The most recently used (last) are kept.
    assert.deepEqual(decoded.marks, many.slice(10));
  });

  it('tells an unknown schema version apart from damage', () => {
    const bytes = encodeReplayMarks([mark(5)]);
    bytes[0] = 2;
    assert.deepEqual(decodeReplayMarks(bytes), { ok: false, reason: 'unknown-version', version: 2 });
  });

  it('rejects every cut prefix, an extra byte, counter 0 and a count above the bound, without throwing', () => {
    const bytes = encodeReplayMarks([mark(5), mark(6)]);
    for (let length = 0; length < bytes.length; length++) {
      assert.equal(decodeReplayMarks(bytes.subarray(0, length)).ok, false, `a prefix of ${length} bytes`);
    }
    assert.equal(decodeReplayMarks(Uint8Array.from([...bytes, 0])).ok, false);
    const zero = encodeReplayMarks([mark(5)]);
    zero.fill(0, zero.length - 4);
    assert.deepEqual(decodeReplayMarks(zero), { ok: false, reason: 'malformed', detail: 'mark 0 has counter 0' });
    const tooMany = new Uint8Array(3 + (MAX_REPLAY_MARKS + 1) * REPLAY_MARK_BYTES).fill(1);
    tooMany.set([1, (MAX_REPLAY_MARKS + 1) >> 8, (MAX_REPLAY_MARKS + 1) & 0xff]);
    assert.equal(decodeReplayMarks(tooMany).ok, false);
  });
});

describe('replay marks: ContentOpener export and restore', function () {
  // scrypt is deliberately slow (~100 ms a key); derive once.
  this.timeout(20_000);
  let alice: RoomKeys;
  let bob: RoomKeys;

  before(async () => {
    alice = await deriveRoomKeys('correct horse battery staple', 'general', new Uint8Array(16));
    bob = withFreshMemberKey(alice);
  });

  const plain = new TextEncoder().encode('pay carol 10');
  const open = (opener: ContentOpener, id: bigint, sealed: Uint8Array, options?: { live?: boolean }) =>
    opener.open(PacketType.Text, id, sealed, alice.memberPublicKey, options);

  it('refuses after a restore what the earlier run had opened, and opens what comes next', () => {
    const sealer = new ContentSealer(alice);
    const sealed = [1n, 2n, 3n].map((id) => sealer.seal(PacketType.Text, id, plain));
    const before = new ContentOpener(bob);
    for (const [index, payload] of sealed.entries()) assert.equal(open(before, BigInt(index + 1), payload).ok, true);

    const restarted = new ContentOpener(bob);
    restarted.restoreMarks(before.exportMarks());
    for (const [index, payload] of sealed.entries()) assert.deepEqual(open(restarted, BigInt(index + 1), payload), { ok: false, reason: 'replayed' });
    assert.equal(open(restarted, 4n, sealer.seal(PacketType.Text, 4n, plain)).ok, true);
  });

  it('refuses below the mark even what the earlier run never saw (at or below is replayed)', () => {
    const sealer = new ContentSealer(alice);
    const first = sealer.seal(PacketType.Text, 1n, plain);
    const second = sealer.seal(PacketType.Text, 2n, plain);
    const before = new ContentOpener(bob);
    assert.equal(open(before, 2n, second).ok, true);
    const restarted = new ContentOpener(bob);
    restarted.restoreMarks(before.exportMarks());
    assert.deepEqual(open(restarted, 1n, first), { ok: false, reason: 'replayed' });
  });

  it('exports one mark per sender epoch: its highest counter', () => {
    const sealer = new ContentSealer(alice);
    const opener = new ContentOpener(bob);
    const payloads = [1n, 2n, 3n].map((id) => sealer.seal(PacketType.Text, id, plain));
    assert.equal(open(opener, 3n, payloads[2] as Uint8Array).ok, true);
    assert.equal(open(opener, 1n, payloads[0] as Uint8Array).ok, true);
    const marks = opener.exportMarks();
    assert.equal(marks.length, 1);
    assert.deepEqual(marks[0]?.senderKey, alice.memberPublicKey);
    assert.deepEqual(marks[0]?.epoch, (payloads[0] as Uint8Array).subarray(0, 8));
    assert.equal(marks[0]?.counter, 3);
  });

  it('opens as before for a sender epoch not among the restored marks', () => {
    const earlier = new ContentOpener(bob);
    assert.equal(open(earlier, 1n, new ContentSealer(alice).seal(PacketType.Text, 1n, plain)).ok, true);
    const restarted = new ContentOpener(bob);
    restarted.restoreMarks(earlier.exportMarks());
    // The same sender key, another epoch (a new sealer): not restored, so its counter 1 opens.
    assert.equal(open(restarted, 1n, new ContentSealer(alice).seal(PacketType.Text, 1n, plain)).ok, true);
  });

  it('keeps the marks of the 1,024 sender epochs used last, forgetting the least recently used', () => {
    const opener = new ContentOpener(bob);
    const sealers = Array.from({ length: MAX_REPLAY_MARKS + 1 }, () => new ContentSealer(alice));
    const firsts = sealers.map((sealer) => sealer.seal(PacketType.Text, 1n, plain));
    for (const payload of firsts) assert.equal(open(opener, 1n, payload).ok, true);
    // The oldest epoch speaks again: now the most recently used, and the second oldest is the one forgotten.
    assert.equal(open(opener, 2n, (sealers[0] as ContentSealer).seal(PacketType.Text, 2n, plain)).ok, true);
    const marks = opener.exportMarks();
    assert.equal(marks.length, MAX_REPLAY_MARKS);
    const restarted = new ContentOpener(bob);
    restarted.restoreMarks(decoded(encodeReplayMarks(marks)));
    assert.deepEqual(open(restarted, 1n, firsts[0] as Uint8Array), { ok: false, reason: 'replayed' });
    assert.deepEqual(open(restarted, 1n, firsts[MAX_REPLAY_MARKS] as Uint8Array), { ok: false, reason: 'replayed' });
    // The forgotten epoch's message opens again: the bound docs/security.md states.
    assert.equal(open(restarted, 1n, firsts[1] as Uint8Array).ok, true);
  });

  it('opens history (live: false) without checking or moving any window', () => {
    const sealer = new ContentSealer(alice);
    const first = sealer.seal(PacketType.Text, 1n, plain);
    const opener = new ContentOpener(bob);
    assert.equal(open(opener, 1n, first).ok, true);
    assert.equal(open(opener, 1n, first, { live: false }).ok, true);
    const restarted = new ContentOpener(bob);
    restarted.restoreMarks(opener.exportMarks());
    assert.equal(open(restarted, 1n, first, { live: false }).ok, true);
    const second = sealer.seal(PacketType.Text, 2n, plain);
    assert.equal(open(restarted, 2n, second, { live: false }).ok, true);
    assert.equal(restarted.revision, 0);
    // Not recorded: the same payload still opens live once.
    assert.equal(open(restarted, 2n, second).ok, true);
    assert.deepEqual(open(restarted, 2n, second), { ok: false, reason: 'replayed' });
  });

  it('ignores restored marks of the wrong shape', () => {
    const sealer = new ContentSealer(alice);
    const first = sealer.seal(PacketType.Text, 1n, plain);
    const opener = new ContentOpener(bob);
    opener.restoreMarks([
      { senderKey: alice.memberPublicKey.subarray(0, 31), epoch: first.subarray(0, 8), counter: 5 },
      { senderKey: alice.memberPublicKey, epoch: first.subarray(0, 7), counter: 5 },
      { senderKey: alice.memberPublicKey, epoch: first.subarray(0, 8), counter: 0 },
    ]);
    assert.equal(opener.exportMarks().length, 0);
    assert.equal(open(opener, 1n, first).ok, true);
  });
});

function decoded(bytes: Uint8Array): ReplayMark[] {
  const result = decodeReplayMarks(bytes);
  assert.ok(result.ok);
  return result.marks;
}
