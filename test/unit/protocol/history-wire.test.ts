import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePacket, encodeFragment, fragmentOf } from '../../../src/protocol/codec';
import { MAX_DATAGRAM_BYTES, MAX_FRAGMENT_BYTES, ROOM_SEQ_TRAILER_BYTES } from '../../../src/protocol/constants';
import { decodePayload, encodePayload, HistoryDirection, type MessagePayload } from '../../../src/protocol/payload';
import { Flag, PacketType, type MessageFragment } from '../../../src/protocol/types';
import { payloadArb } from '../../support/arbitraries';
import { assertCodedError, checkDecodeResult } from '../../support/bytes';

const HISTORY_TYPES = [PacketType.HistoryRequest, PacketType.HistoryEnd, PacketType.Stored] as const;

const STORED: MessagePayload = {
  type: PacketType.Stored,
  seq: 7,
  storedAt: 1_700_000_000_000,
  storedType: PacketType.Text,
  messageId: 0x0102030405060708n,
  from: 'ann',
  memberKey: new Uint8Array(32).fill(9),
  payload: new Uint8Array([1, 2, 3]),
};

function lastFragment(chunk: Uint8Array, roomSeq: number, previousSeq: number): MessageFragment {
  return { type: PacketType.Text, flags: Flag.Reliable | Flag.Numbered, memberId: 5, messageId: 9n, fragmentIndex: 1, fragmentCount: 2, chunk, roomSeq, previousSeq };
}

describe('protocol: history on the wire', () => {
  describe('payloads', () => {
    for (const type of HISTORY_TYPES) {
      it(`decodes every encoded payload of type 0x${type.toString(16)} to the same value`, () => {
        fc.assert(fc.property(payloadArb[type], (payload) => {
          const decoded = decodePayload(type, encodePayload(payload));
          assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
          assert.deepEqual(decoded.value, payload);
        }));
      });

      it(`rejects every truncated prefix of a payload of type 0x${type.toString(16)} with a coded error`, () => {
        fc.assert(fc.property(payloadArb[type], (payload) => {
          const bytes = encodePayload(payload);
          // A Stored payload's original payload runs to the end: only its header can be cut short.
          const shortest = type === PacketType.Stored ? bytes.length - (payload as Extract<MessagePayload, { type: 0x22 }>).payload.length : bytes.length;
          for (let length = 0; length < shortest; length++) assertCodedError(decodePayload(type, bytes.subarray(0, length)));
        }), { numRuns: 50 });
      });

      it(`never throws on arbitrary bytes as a payload of type 0x${type.toString(16)}`, () => {
        fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => void checkDecodeResult(decodePayload(type, bytes))));
      });
    }

    it('encodes a HistoryRequest as request id (u32), direction (u8), seq (u32), limit (u16)', () => {
      const bytes = encodePayload({ type: PacketType.HistoryRequest, requestId: 0x01020304, direction: HistoryDirection.After, seq: 0x0a0b0c0d, limit: 200 });
      assert.deepEqual([...bytes], [1, 2, 3, 4, 2, 0x0a, 0x0b, 0x0c, 0x0d, 0, 200]);
    });

    it('rejects a HistoryRequest of an unknown direction', () => {
      const bytes = encodePayload({ type: PacketType.HistoryRequest, requestId: 1, direction: HistoryDirection.Before, seq: 0, limit: 1 });
      bytes[4] = 3;
      assertCodedError(decodePayload(PacketType.HistoryRequest, bytes), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects a HistoryEnd whose complete flag is neither 0 nor 1', () => {
      const bytes = encodePayload({ type: PacketType.HistoryEnd, requestId: 1, count: 0, latestSeq: 0, reachedSeq: 0, complete: true });
      bytes[bytes.length - 1] = 2;
      assertCodedError(decodePayload(PacketType.HistoryEnd, bytes), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects a Stored message numbered 0, of a type other than text or image, with a key of another length, or empty', () => {
      const bytes = encodePayload(STORED);
      const zeroSeq = Uint8Array.from(bytes);
      zeroSeq.fill(0, 0, 4);
      const notice = Uint8Array.from(bytes);
      notice[12] = PacketType.Notice;
      const keyLength = Uint8Array.from(bytes);
      keyLength[4 + 8 + 1 + 8 + 1 + 3] = 31;
      for (const bad of [zeroSeq, notice, keyLength, bytes.subarray(0, bytes.length - 3)]) {
        assertCodedError(decodePayload(PacketType.Stored, bad), 'UDPCHAT_ERR_BAD_FIELD');
      }
    });
  });

  describe('the Numbered trailer', () => {
    it('round-trips a last fragment\'s number and previous number, the chunk without them', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: MAX_FRAGMENT_BYTES }), fc.integer({ min: 1, max: 0xffff_ffff }), fc.integer({ min: 0, max: 0xffff_ffff }), (chunk, seq, previous) => {
          const datagram = encodeFragment(lastFragment(chunk, seq, previous), Flag.Reliable | Flag.Numbered, 5, 1);
          assert.ok(datagram.length <= MAX_DATAGRAM_BYTES - 16);
          const decoded = decodePacket(datagram);
          assert.ok(decoded.ok && decoded.value.type === PacketType.Text);
          const fragment = fragmentOf(decoded.value as Parameters<typeof fragmentOf>[0]);
          assert.deepEqual([Buffer.from(fragment.chunk), fragment.roomSeq, fragment.previousSeq], [Buffer.from(chunk), seq, previous]);
        }),
      );
    });

    it('leaves room for the trailer in the largest datagram: a full fragment with it and the tag is 1,200 bytes', () => {
      const datagram = encodeFragment(lastFragment(new Uint8Array(MAX_FRAGMENT_BYTES), 1, 0), Flag.Reliable | Flag.Numbered | Flag.Auth, 5, 1);
      assert.equal(datagram.length, MAX_DATAGRAM_BYTES);
      assert.equal(ROOM_SEQ_TRAILER_BYTES, 8);
    });

    it('rejects Numbered on a fragment that is not the last, on a body no longer than the trailer, and on control datagrams', () => {
      const notLast = encodeFragment({ ...lastFragment(new Uint8Array(4), 1, 0), fragmentIndex: 0 }, Flag.Reliable | Flag.Numbered, 5, 1);
      assertCodedError(decodePacket(notLast), 'UDPCHAT_ERR_BAD_FLAGS');
      const bare = encodeFragment({ ...lastFragment(new Uint8Array(ROOM_SEQ_TRAILER_BYTES), 1, 0) }, Flag.Reliable, 5, 1);
      bare[4] = Flag.Reliable | Flag.Numbered;
      assertCodedError(decodePacket(bare), 'UDPCHAT_ERR_BAD_FLAGS');
      const heartbeat = Uint8Array.from(encodeFragment(lastFragment(new Uint8Array(12), 1, 0), Flag.Reliable | Flag.Numbered, 5, 1));
      heartbeat[3] = PacketType.Heartbeat;
      assertCodedError(decodePacket(heartbeat));
    });

    it('rejects every truncated prefix of a numbered datagram', () => {
      const datagram = encodeFragment(lastFragment(new Uint8Array([1, 2, 3]), 42, 41), Flag.Reliable | Flag.Numbered, 5, 1);
      for (let length = 0; length < datagram.length; length++) assertCodedError(decodePacket(datagram.subarray(0, length)));
    });
  });
});
