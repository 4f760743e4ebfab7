import assert from 'node:assert/strict';
import { controlHeader, encodeControl, encodeFragment, hasMagic, peekFlags, peekMemberId, peekType, peekVersion } from '../../../src/protocol/codec';
import { HEADER_BYTES, PROTOCOL_VERSION } from '../../../src/protocol/constants';
import { Flag, PacketType } from '../../../src/protocol/types';

const MEMBER_ID = 0xfedc_ba98; // every byte distinct and the top bit set: a signed read or a byte swap shows
const heartbeat = encodeControl({ ...controlHeader(PacketType.Heartbeat, MEMBER_ID), flags: Flag.Auth, body: { echo: 7 } });
const text = encodeFragment(
  { type: PacketType.Text, flags: Flag.Reliable, memberId: 0, messageId: 5n, fragmentIndex: 0, fragmentCount: 1, chunk: new Uint8Array([1, 2, 3]) },
  Flag.Reliable,
  MEMBER_ID,
  9,
);

describe('protocol/peek', () => {
  it('reads the member id, type, flags and version of a control datagram', () => {
    assert.equal(peekMemberId(heartbeat), MEMBER_ID);
    assert.equal(peekType(heartbeat), PacketType.Heartbeat);
    assert.equal(peekFlags(heartbeat), Flag.Auth);
    assert.equal(peekVersion(heartbeat), PROTOCOL_VERSION);
  });

  it('reads the member id and type of a message fragment', () => {
    assert.equal(peekMemberId(text), MEMBER_ID);
    assert.equal(peekType(text), PacketType.Text);
    assert.equal(peekFlags(text), Flag.Reliable);
  });

  it('reads a datagram that is a view into a larger buffer at its own offset', () => {
    const backing = new Uint8Array(heartbeat.length + 5);
    backing.set(heartbeat, 5);
    const view = backing.subarray(5);
    assert.equal(peekMemberId(view), MEMBER_ID);
    assert.equal(peekType(view), PacketType.Heartbeat);
  });

  for (const [kind, datagram] of [['heartbeat', heartbeat], ['text fragment', text]] as const) {
    it(`returns undefined for every truncated prefix of a ${kind} shorter than the header, without throwing`, () => {
      for (let length = 0; length < HEADER_BYTES; length++) {
        const prefix = datagram.slice(0, length);
        assert.equal(peekMemberId(prefix), undefined, `member id of a ${length}-byte prefix`);
        assert.equal(peekType(prefix), undefined, `type of a ${length}-byte prefix`);
        assert.equal(peekFlags(prefix), undefined, `flags of a ${length}-byte prefix`);
        assert.equal(peekVersion(prefix), length > 2 ? PROTOCOL_VERSION : undefined, `version of a ${length}-byte prefix`);
      }
    });

    it(`still reads every prefix of a ${kind} that holds the whole header`, () => {
      for (let length = HEADER_BYTES; length <= datagram.length; length++) {
        assert.equal(peekMemberId(datagram.slice(0, length)), MEMBER_ID, `member id of a ${length}-byte prefix`);
      }
    });
  }

  it('returns undefined for bytes without the magic', () => {
    const other = Uint8Array.from(heartbeat);
    other[0] = 0x00;
    assert.equal(hasMagic(other), false);
    assert.equal(peekMemberId(other), undefined);
    assert.equal(peekType(other), undefined);
    assert.equal(peekVersion(other), undefined);
  });

  it('returns undefined for a type this version does not know', () => {
    const unknown = Uint8Array.from(heartbeat);
    unknown[3] = 0x7f;
    assert.equal(peekType(unknown), undefined);
    assert.equal(peekMemberId(unknown), MEMBER_ID);
  });
});
