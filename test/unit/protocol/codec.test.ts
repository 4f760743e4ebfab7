import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_ACK_RANGES,
  MAX_ERROR_TEXT_BYTES,
  assemble,
  decodeHeader,
  decodePacket,
  encodeControl,
  hasMagic,
  patchSequence,
  peekVersion,
  truncateUtf8,
} from '../../../src/protocol/codec';
import { AUTH_TAG_BYTES, HEADER_BYTES, MAX_DATAGRAM_BYTES, PROTOCOL_VERSION } from '../../../src/protocol/constants';
import { ExtensionTag, Flag, PacketType, PresenceCode, type ControlPacket, type JoinBody, type JoinPacket, type Packet } from '../../../src/protocol/types';
import { controlPacketArb, encodePacket, fragmentPacket } from '../../support/arbitraries';
import { assertBytes, assertCodedError, checkDecodeResult, concat, fromHex, toHex } from '../../support/bytes';

/** Header fields, each overridable, so a test can write any header, valid or not. */
interface RawHeader {
  magic: number;
  version: number;
  type: number;
  flags: number;
  reserved: number;
  bodyLength: number;
  memberId: number;
  seq: number;
  messageId: bigint;
  fragmentIndex: number;
  fragmentCount: number;
}

const CONTROL_DEFAULTS: RawHeader = {
  magic: 0x5543,
  version: PROTOCOL_VERSION,
  type: PacketType.Heartbeat,
  flags: 0,
  reserved: 0,
  bodyLength: -1, // -1: the real body length
  memberId: 7,
  seq: 0,
  messageId: 0n,
  fragmentIndex: 0,
  fragmentCount: 0,
};

const MESSAGE_DEFAULTS: RawHeader = {
  ...CONTROL_DEFAULTS,
  type: PacketType.Text,
  flags: Flag.Reliable,
  seq: 1,
  messageId: 0x1122n,
  fragmentIndex: 0,
  fragmentCount: 1,
};

/** A datagram with exactly the header fields given, followed by `body` and `tail`. */
function raw(fields: Partial<RawHeader>, body: Uint8Array, tail = new Uint8Array(0), defaults = CONTROL_DEFAULTS): Uint8Array {
  const h = { ...defaults, ...fields };
  const out = new Uint8Array(HEADER_BYTES + body.length + tail.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, h.magic);
  view.setUint8(2, h.version);
  view.setUint8(3, h.type);
  view.setUint8(4, h.flags);
  view.setUint8(5, h.reserved);
  view.setUint16(6, h.bodyLength === -1 ? body.length : h.bodyLength);
  view.setUint32(8, h.memberId);
  view.setUint32(12, h.seq);
  view.setBigUint64(16, h.messageId);
  view.setUint16(24, h.fragmentIndex);
  view.setUint16(26, h.fragmentCount);
  out.set(body, HEADER_BYTES);
  out.set(tail, HEADER_BYTES + body.length);
  return out;
}

const HEARTBEAT_BODY = fromHex('0000002a');
const rawMessage = (fields: Partial<RawHeader>, chunk = fromHex('68 69')): Uint8Array => raw(fields, chunk, undefined, MESSAGE_DEFAULTS);

function decodeOk(bytes: Uint8Array): Packet {
  const result = decodePacket(bytes);
  if (!result.ok) assert.fail(`expected a packet, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function control<T extends ControlPacket['type']>(type: T, memberId = 7) {
  return { type, flags: 0, memberId, seq: 0, messageId: 0n, fragmentIndex: 0, fragmentCount: 0 } as const;
}

// ---- fixtures

/**
 * One Join, byte by byte. Header (28 bytes, big-endian): magic "UC", version, type, flags, reserved, body length,
 * member id, seq, message id, fragment index, fragment count. Body: client nonce (8), name and
 * room as u8-length-prefixed UTF-8, then extensions as tag (u8), length (u16), value.
 */
const JOIN_FIXTURE_HEX = `
  5543 | 03 | 01 | 00 | 00 | 001b       // magic "UC", version 3, type Join, flags, reserved, body length 27
  00000000 | 00000000                   // member id (not known yet), seq (control: 0)
  0000000000000000 | 0000 | 0000        // message id, fragment index, fragment count (control: 0)
  0102030405060708                      // client nonce
  03 616e6e                             // name "ann"
  07 67656e6572616c                     // room "general"
  02 0004 deadbeef                      // extension 2 (Cookie), 4 bytes
`;

const JOIN_FIXTURE_BODY: JoinBody = {
  clientNonce: fromHex('0102030405060708'),
  name: 'ann',
  room: 'general',
  extensions: new Map([[ExtensionTag.Cookie, fromHex('deadbeef')]]),
};
const JOIN_FIXTURE_PACKET: JoinPacket = { ...control(PacketType.Join, 0), body: JOIN_FIXTURE_BODY };

/** A Heartbeat with Flag.Auth: the 16-byte tag follows the body and is not counted in the body length. */
const AUTH_HEARTBEAT_HEX = `
  5543 03 04 04 00 0004                 // type Heartbeat, flags Auth, body length 4 (the tag is not counted)
  00000007 00000000 0000000000000000 0000 0000
  0000002a                              // echo 42
  a0a1a2a3a4a5a6a7a8a9aaabacadaeaf      // auth tag
`;

/** Every kind of valid datagram, for the truncation and mutation sweeps. */
const VALID: Record<string, Packet> = {
  'Join with extensions': {
    ...JOIN_FIXTURE_PACKET,
    body: {
      ...JOIN_FIXTURE_BODY,
      extensions: new Map([
        [ExtensionTag.HopPublicKey, new Uint8Array(32).fill(0x11)],
        [ExtensionTag.Cookie, fromHex('c0c0')],
        [200, new Uint8Array(0)],
      ]),
    },
  },
  'Join with an auth tag': { ...JOIN_FIXTURE_PACKET, flags: Flag.Auth, authTag: new Uint8Array(16).fill(0xab) },
  Challenge: {
    ...control(PacketType.Challenge),
    body: { clientNonce: fromHex('0102030405060708'), roomSalt: new Uint8Array(16).fill(0x5a), cookie: new Uint8Array(24).fill(0xcc) },
  },
  Welcome: {
    ...control(PacketType.Welcome, 0x01020304),
    body: {
      clientNonce: fromHex('0102030405060708'),
      room: 'général',
      heartbeatIntervalMs: 2000,
      memberTimeoutMs: 10_000,
      maxTextBytes: 16_384,
      maxImageBytes: 10 * 1024 * 1024,
      extensions: new Map([[ExtensionTag.HopPublicKey, new Uint8Array(32).fill(0x22)]]),
    },
  },
  Heartbeat: { ...control(PacketType.Heartbeat), body: { echo: 0xdeadbeef } },
  HeartbeatAck: { ...control(PacketType.HeartbeatAck), body: { echo: 42 } },
  'Ack with ranges': {
    ...control(PacketType.Ack),
    body: { cumulative: 10, window: 256, delayMs: 25, ranges: [{ first: 12, last: 14 }, { first: 20, last: 20 }] },
  },
  Error: { ...control(PacketType.Error), body: { code: 3, clientNonce: fromHex('0102030405060708'), message: 'the name "ann" is taken' } },
  Typing: { ...control(PacketType.Typing, 7), body: { memberId: 0x0102_0304 } },
  Presence: { ...control(PacketType.Presence, 7), body: { memberId: 0x0102_0304, state: PresenceCode.Away } },
  'Text fragment': {
    type: PacketType.Text,
    flags: Flag.Reliable,
    memberId: 9,
    seq: 5,
    messageId: 0x0000_0001_0000_0002n,
    fragmentIndex: 1,
    fragmentCount: 3,
    chunk: fromHex('68656c6c6f'),
  },
  'sealed Image fragment with an auth tag': {
    type: PacketType.Image,
    flags: Flag.Reliable | Flag.Encrypted | Flag.Auth,
    memberId: 9,
    seq: 0xffff_ffff,
    messageId: 0xffff_ffff_ffff_ffffn,
    fragmentIndex: 0xfffe,
    fragmentCount: 0xffff,
    authTag: new Uint8Array(16).fill(0x5a),
    chunk: new Uint8Array(100).fill(0x77),
  },
};

describe('protocol/codec', () => {
  describe('wire layout', () => {
    it('encodes a Join to the documented bytes', () => {
      assertBytes(encodeControl(JOIN_FIXTURE_PACKET), fromHex(JOIN_FIXTURE_HEX));
    });

    it('decodes the documented Join bytes', () => {
      assert.deepEqual(decodeOk(fromHex(JOIN_FIXTURE_HEX)), JOIN_FIXTURE_PACKET);
    });

    it('lays a Challenge out as nonce, 16-byte room salt, cookie length and cookie: 73 bytes with a 20-byte cookie', () => {
      const body = { clientNonce: fromHex('0102030405060708'), roomSalt: new Uint8Array(16).fill(0x5a), cookie: new Uint8Array(20).fill(0xcc) };
      const datagram = encodeControl({ ...control(PacketType.Challenge), body });
      assertBytes(datagram.subarray(28), concat(body.clientNonce, body.roomSalt, fromHex('14'), body.cookie));
      assert.equal(datagram.length, 73);
    });

    it('has a 28-byte header', () => {
      assert.equal(HEADER_BYTES, 28);
      const heartbeat = encodeControl({ ...control(PacketType.Heartbeat), body: { echo: 1 } });
      assert.equal(heartbeat.length, HEADER_BYTES + 4);
    });

    it('puts the 16-byte auth tag after the body, outside the body length', () => {
      const bytes = fromHex(AUTH_HEARTBEAT_HEX);
      const packet = decodeOk(bytes);
      assert.equal(packet.type, PacketType.Heartbeat);
      assert.equal(packet.flags, Flag.Auth);
      assert.deepEqual(packet.authTag, fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf'));
      assert.deepEqual((packet as ControlPacket).body, { echo: 42 });
    });

    it('leaves the tag zero for the caller to fill when encoding with Flag.Auth', () => {
      const bytes = encodeControl({ ...control(PacketType.Heartbeat), flags: Flag.Auth, body: { echo: 42 } });
      assert.equal(toHex(bytes.subarray(0, bytes.length - AUTH_TAG_BYTES)), fromHexText(AUTH_HEARTBEAT_HEX).slice(0, -32));
      assert.equal(toHex(bytes.subarray(-AUTH_TAG_BYTES)), '00'.repeat(16));
    });

    it('never marks a control datagram reliable or sealed, whatever flags the packet carries', () => {
      const bytes = encodeControl({ ...control(PacketType.Heartbeat), flags: 0xff, body: { echo: 1 } });
      assert.equal(bytes[4], Flag.Auth);
      assert.equal(decodePacket(bytes).ok, true);
    });
  });

  describe('round trips', () => {
    for (const [type, arbitrary] of Object.entries(controlPacketArb)) {
      const name = Object.entries(PacketType).find(([, value]) => value === Number(type))?.[0];
      it(`decodes every encoded ${name} to the same packet`, () => {
        fc.assert(
          fc.property(arbitrary, (packet) => {
            assert.deepEqual(decodeOk(encodePacket(packet)), packet);
          }),
          { numRuns: 300 },
        );
      });
    }

    it('decodes every encoded message fragment to the same header and chunk', () => {
      fc.assert(
        fc.property(fragmentPacket, (packet) => {
          assert.deepEqual(decodeOk(encodePacket(packet)), packet);
        }),
        { numRuns: 500 },
      );
    });

    for (const [kind, packet] of Object.entries(VALID)) {
      it(`round-trips the ${kind} example`, () => {
        assert.deepEqual(decodeOk(encodePacket(packet)), packet);
      });
    }

    it('keeps unknown extension tags so a newer peer can be read', () => {
      const packet = decodeOk(encodePacket(VALID['Join with extensions'] as Packet)) as ControlPacket & { type: 1 };
      assert.deepEqual(packet.body.extensions.get(200), new Uint8Array(0));
    });

    it('encodes a Welcome with every u32 limit at its maximum', () => {
      const packet: ControlPacket = {
        ...control(PacketType.Welcome),
        body: {
          clientNonce: new Uint8Array(8),
          room: 'r',
          heartbeatIntervalMs: 0xffff_ffff,
          memberTimeoutMs: 0xffff_ffff,
          maxTextBytes: 0xffff_ffff,
          maxImageBytes: 0xffff_ffff,
          extensions: new Map(),
        },
      };
      assert.deepEqual(decodeOk(encodeControl(packet)), packet);
    });

    it('clamps an Ack window and delay to u16 and rounds the delay', () => {
      const bytes = encodeControl({ ...control(PacketType.Ack), body: { cumulative: 1, window: 1e6, delayMs: 12.6, ranges: [] } });
      const packet = decodeOk(bytes) as ControlPacket & { type: 6 };
      assert.equal(packet.body.window, 0xffff);
      assert.equal(packet.body.delayMs, 13);
    });

    it('sends at most MAX_ACK_RANGES ack ranges, the lowest ones, within one datagram', () => {
      const ranges = Array.from({ length: MAX_ACK_RANGES + 8 }, (_, i) => ({ first: 10 + i * 3, last: 11 + i * 3 }));
      const packet = decodeOk(encodeControl({ ...control(PacketType.Ack), body: { cumulative: 1, window: 1, delayMs: 0, ranges } }));
      assert.deepEqual((packet as ControlPacket & { type: 6 }).body.ranges, ranges.slice(0, MAX_ACK_RANGES));
    });

    it('cuts an Error message longer than 512 bytes at a character boundary', () => {
      const message = '€'.repeat(300); // 900 bytes; 512 is not a multiple of 3
      const packet = decodeOk(encodeControl({ ...control(PacketType.Error), body: { code: 1, clientNonce: new Uint8Array(8), message } }));
      assert.equal((packet as ControlPacket & { type: 7 }).body.message, '€'.repeat(170));
    });

    it('refuses to encode a datagram over 1,200 bytes', () => {
      assert.throws(() => assemble({ ...MESSAGE_DEFAULTS, type: PacketType.Text }, new Uint8Array(MAX_DATAGRAM_BYTES - HEADER_BYTES + 1)), RangeError);
    });
  });

  describe('truncation', () => {
    for (const [kind, packet] of Object.entries(VALID)) {
      it(`rejects every truncated prefix of a ${kind}`, () => {
        const bytes = encodePacket(packet);
        for (let length = 0; length < bytes.length; length++) {
          const prefix = bytes.slice(0, length);
          let result: ReturnType<typeof decodePacket> | undefined;
          assert.doesNotThrow(() => (result = decodePacket(prefix)), `prefix of ${length} bytes threw`);
          assertCodedError(result!);
          const code = (result as { error: { code: string } }).error.code;
          assert.ok(['UDPCHAT_ERR_TRUNCATED', 'UDPCHAT_ERR_BAD_LENGTH'].includes(code), `prefix of ${length} bytes: ${code}`);
        }
      });
    }

    for (const kind of ['Challenge', 'Heartbeat', 'HeartbeatAck', 'Ack with ranges', 'Error', 'Typing', 'Presence']) {
      it(`rejects every truncated ${kind} body even when the length field is edited to match`, () => {
        const bytes = encodePacket(VALID[kind] as Packet);
        for (let length = HEADER_BYTES; length < bytes.length; length++) {
          const cut = bytes.slice(0, length);
          new DataView(cut.buffer).setUint16(6, length - HEADER_BYTES);
          assertCodedError(decodePacket(cut), 'UDPCHAT_ERR_TRUNCATED');
        }
      });
    }

    it('rejects every Join body cut inside its fixed fields even when the length field is edited to match', () => {
      const bytes = encodePacket(JOIN_FIXTURE_PACKET);
      const fixedEnd = HEADER_BYTES + 8 + 4 + 8; // nonce, "ann", "general"
      for (let length = HEADER_BYTES; length < fixedEnd; length++) {
        const cut = bytes.slice(0, length);
        new DataView(cut.buffer).setUint16(6, length - HEADER_BYTES);
        assertCodedError(decodePacket(cut), 'UDPCHAT_ERR_TRUNCATED');
      }
    });

    it('rejects a Join whose last extension is cut short', () => {
      const bytes = encodePacket(JOIN_FIXTURE_PACKET);
      for (const drop of [1, 2, 3, 4, 5, 6]) {
        const cut = bytes.slice(0, bytes.length - drop);
        new DataView(cut.buffer).setUint16(6, cut.length - HEADER_BYTES);
        assertCodedError(decodePacket(cut), 'UDPCHAT_ERR_TRUNCATED');
      }
    });
  });

  describe('header mutations', () => {
    for (const [kind, packet] of Object.entries(VALID)) {
      it(`decodes every single-byte header mutation of a ${kind} to a packet or a coded error`, () => {
        const original = encodePacket(packet);
        for (let at = 0; at < HEADER_BYTES; at++) {
          for (let value = 0; value < 256; value++) {
            const mutated = original.slice();
            mutated[at] = value;
            let result: ReturnType<typeof decodePacket> | undefined;
            assert.doesNotThrow(() => (result = decodePacket(mutated)), `byte ${at} = ${value} threw`);
            if (checkDecodeResult(result!)) {
              // Whatever was accepted must be a datagram we would have sent: it re-encodes to the same bytes.
              assertBytes(encodePacket((result as { value: Packet }).value), mutated, `byte ${at} = ${value}`);
            }
          }
        }
      });
    }
  });

  describe('rejections', () => {
    it('rejects a datagram without the UC magic', () => {
      assertCodedError(decodePacket(raw({ magic: 0x5544 }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_MAGIC');
      assertCodedError(decodePacket(raw({ magic: 0x4355 }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_MAGIC');
    });

    it('rejects a short datagram without the magic as not ours rather than truncated', () => {
      assertCodedError(decodePacket(fromHex('4142')), 'UDPCHAT_ERR_BAD_MAGIC');
      assertCodedError(decodePacket(fromHex('5543')), 'UDPCHAT_ERR_TRUNCATED');
    });

    for (const version of [0, 1, 2, 4, 0xff]) {
      it(`rejects protocol version ${version} as unsupported`, () => {
        assertCodedError(decodePacket(raw({ version }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_UNSUPPORTED_VERSION');
      });
    }

    for (const type of [0x00, 0x0a, 0x0f, 0x17, 0x1f, 0x23, 0xff]) {
      it(`rejects unknown type 0x${type.toString(16)}`, () => {
        assertCodedError(decodePacket(raw({ type }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_UNKNOWN_TYPE');
      });
    }

    for (const bit of [0x08, 0x10, 0x20, 0x40, 0x80]) {
      it(`rejects unknown flag bit 0x${bit.toString(16)}`, () => {
        assertCodedError(decodePacket(raw({ flags: bit }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_FLAGS');
        assertCodedError(decodePacket(rawMessage({ flags: Flag.Reliable | bit })), 'UDPCHAT_ERR_BAD_FLAGS');
      });
    }

    it('rejects a non-zero reserved byte', () => {
      for (const reserved of [1, 0x80, 0xff]) {
        assertCodedError(decodePacket(raw({ reserved }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_FLAGS');
      }
    });

    it('drops a datagram whose length field overruns it', () => {
      assertCodedError(decodePacket(raw({ bodyLength: 5 }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_LENGTH');
      assertCodedError(decodePacket(raw({ bodyLength: 0xffff }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_LENGTH');
    });

    it('drops a datagram whose length field underruns it', () => {
      assertCodedError(decodePacket(raw({ bodyLength: 3 }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_LENGTH');
      assertCodedError(decodePacket(raw({ bodyLength: 0 }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_LENGTH');
    });

    it('drops a datagram whose Auth flag promises a tag that is missing', () => {
      assertCodedError(decodePacket(raw({ flags: Flag.Auth }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_LENGTH');
    });

    it('drops a datagram carrying a tag without the Auth flag', () => {
      assertCodedError(decodePacket(raw({ bodyLength: 4 }, HEARTBEAT_BODY, new Uint8Array(16))), 'UDPCHAT_ERR_BAD_LENGTH');
    });

    it('accepts a datagram of exactly 1,200 bytes', () => {
      const chunk = new Uint8Array(MAX_DATAGRAM_BYTES - HEADER_BYTES);
      assert.equal(decodePacket(rawMessage({}, chunk)).ok, true);
    });

    it('rejects a datagram over 1,200 bytes even when its length field agrees', () => {
      const chunk = new Uint8Array(MAX_DATAGRAM_BYTES - HEADER_BYTES + 1);
      assertCodedError(decodePacket(rawMessage({}, chunk)), 'UDPCHAT_ERR_TOO_LARGE');
      assertCodedError(decodeHeader(new Uint8Array(65_507)), 'UDPCHAT_ERR_TOO_LARGE');
    });

    it('rejects a control datagram with a fragment index, fragment count or message id', () => {
      assertCodedError(decodePacket(raw({ fragmentIndex: 1 }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_FRAGMENT');
      assertCodedError(decodePacket(raw({ fragmentCount: 1 }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_FRAGMENT');
      assertCodedError(decodePacket(raw({ messageId: 1n }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_FRAGMENT');
    });

    it('rejects a control datagram with a sequence number or the Reliable flag', () => {
      assertCodedError(decodePacket(raw({ seq: 1 }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_FLAGS');
      assertCodedError(decodePacket(raw({ flags: Flag.Reliable }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_FLAGS');
    });

    it('rejects a sealed control datagram', () => {
      assertCodedError(decodePacket(raw({ flags: Flag.Encrypted }, HEARTBEAT_BODY)), 'UDPCHAT_ERR_BAD_FLAGS');
    });

    it('rejects a message fragment whose index is not below its count', () => {
      assertCodedError(decodePacket(rawMessage({ fragmentIndex: 1, fragmentCount: 1 })), 'UDPCHAT_ERR_BAD_FRAGMENT');
      assertCodedError(decodePacket(rawMessage({ fragmentIndex: 0xffff, fragmentCount: 0xffff })), 'UDPCHAT_ERR_BAD_FRAGMENT');
    });

    it('rejects a message fragment with a count of 0', () => {
      assertCodedError(decodePacket(rawMessage({ fragmentIndex: 0, fragmentCount: 0 })), 'UDPCHAT_ERR_BAD_FRAGMENT');
    });

    it('rejects a Presence with a state it does not know', () => {
      const bytes = encodePacket(VALID['Presence'] as Packet);
      bytes[bytes.length - 1] = 2;
      assertCodedError(decodePacket(bytes), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects an empty message fragment', () => {
      assertCodedError(decodePacket(rawMessage({}, new Uint8Array(0))), 'UDPCHAT_ERR_BAD_FRAGMENT');
    });

    it('rejects an unsequenced message fragment', () => {
      assertCodedError(decodePacket(rawMessage({ flags: 0 })), 'UDPCHAT_ERR_BAD_FLAGS');
      assertCodedError(decodePacket(rawMessage({ seq: 0 })), 'UDPCHAT_ERR_BAD_FLAGS');
    });

    for (const kind of ['Challenge', 'Heartbeat', 'HeartbeatAck', 'Ack with ranges', 'Error', 'Typing', 'Presence']) {
      it(`rejects trailing bytes after a ${kind} body`, () => {
        const bytes = encodePacket(VALID[kind] as Packet);
        const longer = concat(bytes, fromHex('00'));
        new DataView(longer.buffer).setUint16(6, longer.length - HEADER_BYTES);
        assertCodedError(decodePacket(longer), 'UDPCHAT_ERR_TRAILING_BYTES');
      });
    }

    describe('ack ranges', () => {
      const ack = (cumulative: number, ranges: Array<[number, number]>, count = ranges.length): Uint8Array => {
        const body = new Uint8Array(9 + ranges.length * 8);
        const view = new DataView(body.buffer);
        view.setUint32(0, cumulative);
        view.setUint16(4, 64);
        view.setUint16(6, 0);
        view.setUint8(8, count);
        ranges.forEach(([first, last], i) => {
          view.setUint32(9 + i * 8, first);
          view.setUint32(13 + i * 8, last);
        });
        return raw({ type: PacketType.Ack }, body);
      };

      it('accepts ascending disjoint ranges above the cumulative point', () => {
        assert.equal(decodePacket(ack(5, [[7, 8], [10, 10], [0xffff_fff0, 0xffff_ffff]])).ok, true);
      });

      it('rejects ranges out of order', () => {
        assertCodedError(decodePacket(ack(5, [[20, 21], [10, 11]])), 'UDPCHAT_ERR_BAD_FIELD');
      });

      it('rejects overlapping ranges', () => {
        assertCodedError(decodePacket(ack(5, [[10, 15], [15, 20]])), 'UDPCHAT_ERR_BAD_FIELD');
        assertCodedError(decodePacket(ack(5, [[10, 15], [12, 13]])), 'UDPCHAT_ERR_BAD_FIELD');
      });

      it('rejects adjacent ranges, which should have been one', () => {
        assertCodedError(decodePacket(ack(5, [[10, 15], [16, 20]])), 'UDPCHAT_ERR_BAD_FIELD');
      });

      it('rejects a range at or next to the cumulative point', () => {
        assertCodedError(decodePacket(ack(5, [[5, 7]])), 'UDPCHAT_ERR_BAD_FIELD');
        assertCodedError(decodePacket(ack(5, [[6, 7]])), 'UDPCHAT_ERR_BAD_FIELD');
        assertCodedError(decodePacket(ack(5, [[2, 3]])), 'UDPCHAT_ERR_BAD_FIELD');
      });

      it('rejects a range whose last is below its first', () => {
        assertCodedError(decodePacket(ack(5, [[10, 9]])), 'UDPCHAT_ERR_BAD_FIELD');
      });

      it('accepts MAX_ACK_RANGES ranges and rejects more', () => {
        const ranges = (n: number): Array<[number, number]> => Array.from({ length: n }, (_, i) => [10 + i * 3, 11 + i * 3]);
        assert.equal(decodePacket(ack(1, ranges(MAX_ACK_RANGES))).ok, true);
        assertCodedError(decodePacket(ack(1, ranges(MAX_ACK_RANGES + 1))), 'UDPCHAT_ERR_BAD_FIELD');
        assertCodedError(decodePacket(ack(1, [], 0xff)), 'UDPCHAT_ERR_BAD_FIELD');
      });
    });

    describe('strings and extensions', () => {
      /** A Join body with the given raw name and room bytes and extension bytes. */
      const join = (name: Uint8Array, room: Uint8Array = fromHex('01 72'), extensions: Uint8Array = new Uint8Array(0)): Uint8Array =>
        raw({ type: PacketType.Join }, concat(new Uint8Array(8), name, room, extensions)); // client nonce first
      const str8 = (bytes: Uint8Array): Uint8Array => concat(Uint8Array.of(bytes.length), bytes);

      it('rejects a name that is not valid UTF-8', () => {
        for (const bad of ['ff', 'c0af', 'e282', 'eda080', 'f4908080', '61 80 62']) {
          assertCodedError(decodePacket(join(str8(fromHex(bad)))), 'UDPCHAT_ERR_BAD_STRING');
        }
      });

      it('rejects a room that is not valid UTF-8', () => {
        assertCodedError(decodePacket(join(str8(fromHex('61')), str8(fromHex('c3')))), 'UDPCHAT_ERR_BAD_STRING');
      });

      it('accepts a name of exactly 32 bytes and rejects 33', () => {
        assert.equal(decodePacket(join(str8(new Uint8Array(32).fill(0x61)))).ok, true);
        assertCodedError(decodePacket(join(str8(new Uint8Array(33).fill(0x61)))), 'UDPCHAT_ERR_BAD_STRING');
      });

      it('measures the name limit in bytes, not characters', () => {
        const nineEmoji = new TextEncoder().encode('😀'.repeat(9)); // 9 characters, 36 bytes
        assertCodedError(decodePacket(join(str8(nineEmoji))), 'UDPCHAT_ERR_BAD_STRING');
      });

      it('rejects a room longer than 32 bytes', () => {
        assertCodedError(decodePacket(join(str8(fromHex('61')), str8(new Uint8Array(33).fill(0x72)))), 'UDPCHAT_ERR_BAD_STRING');
      });

      it('keeps a leading byte-order mark in a name', () => {
        const packet = decodeOk(join(str8(fromHex('efbbbf 61'))));
        assert.equal((packet as ControlPacket & { type: 1 }).body.name, '\ufeffa');
      });

      it('rejects an extension that appears twice', () => {
        const extensions = fromHex('01 0001 aa  02 0000  01 0001 bb');
        assertCodedError(decodePacket(join(str8(fromHex('61')), undefined, extensions)), 'UDPCHAT_ERR_BAD_FIELD');
      });

      it('rejects an extension whose length overruns the body', () => {
        assertCodedError(decodePacket(join(str8(fromHex('61')), undefined, fromHex('01 0005 aabb'))), 'UDPCHAT_ERR_TRUNCATED');
      });

      it('rejects an Error message longer than 512 bytes', () => {
        const message = new Uint8Array(513).fill(0x61);
        const body = concat(fromHex('0001'), new Uint8Array(8), fromHex('0201'), message);
        assertCodedError(decodePacket(raw({ type: PacketType.Error }, body)), 'UDPCHAT_ERR_BAD_STRING');
      });
    });

    describe('field values', () => {
      it('rejects a Challenge with an empty cookie or one over 64 bytes', () => {
        const salt = new Uint8Array(16);
        assertCodedError(decodePacket(raw({ type: PacketType.Challenge }, concat(new Uint8Array(8), salt, fromHex('00')))), 'UDPCHAT_ERR_BAD_FIELD');
        const long = concat(new Uint8Array(8), salt, fromHex('41'), new Uint8Array(65));
        assertCodedError(decodePacket(raw({ type: PacketType.Challenge }, long)), 'UDPCHAT_ERR_BAD_FIELD');
      });

      it('refuses to encode a Challenge whose room salt is not 16 bytes', () => {
        const body = { clientNonce: new Uint8Array(8), roomSalt: new Uint8Array(15), cookie: new Uint8Array(20) };
        assert.throws(() => encodeControl({ ...control(PacketType.Challenge), body }), RangeError);
      });

      it('rejects a Welcome with a zero heartbeat interval or member timeout', () => {
        const welcome = (interval: number, timeout: number): Uint8Array => {
          const body = concat(new Uint8Array(8), fromHex('01 72'), new Uint8Array(16));
          const view = new DataView(body.buffer);
          view.setUint32(10, interval);
          view.setUint32(14, timeout);
          return raw({ type: PacketType.Welcome }, body);
        };
        assert.equal(decodePacket(welcome(1, 1)).ok, true);
        assertCodedError(decodePacket(welcome(0, 1)), 'UDPCHAT_ERR_BAD_FIELD');
        assertCodedError(decodePacket(welcome(1, 0)), 'UDPCHAT_ERR_BAD_FIELD');
      });
    });
  });

  describe('decodeHeader', () => {
    it('returns the body bounds, excluding the auth tag', () => {
      const result = decodeHeader(fromHex(AUTH_HEARTBEAT_HEX));
      assert.ok(result.ok);
      assert.equal(result.value.bodyStart, 28);
      assert.equal(result.value.bodyEnd, 32);
    });

    it('decodes a subarray that starts inside a larger buffer', () => {
      const bytes = encodePacket(VALID.Heartbeat as Packet);
      const padded = concat(fromHex('ffffff'), bytes, fromHex('ff'));
      assert.deepEqual(decodeOk(padded.subarray(3, 3 + bytes.length)), VALID.Heartbeat);
    });
  });

  describe('hasMagic and peekVersion', () => {
    it('recognizes the magic of any version', () => {
      assert.equal(hasMagic(fromHex('5543')), true);
      assert.equal(hasMagic(fromHex('554309')), true);
      assert.equal(hasMagic(fromHex('55')), false);
      assert.equal(hasMagic(fromHex('4d59')), false);
    });

    it('peeks the version byte only after our magic', () => {
      assert.equal(peekVersion(fromHex('554302')), 2);
      assert.equal(peekVersion(fromHex('5543')), undefined);
      assert.equal(peekVersion(fromHex('414202')), undefined);
    });
  });

  describe('patchSequence', () => {
    it('rewrites only the sequence number', () => {
      const original = encodePacket(VALID['Text fragment'] as Packet);
      const patched = original.slice();
      patchSequence(patched, 0xa1b2c3d4);
      assert.equal(toHex(patched.subarray(12, 16)), 'a1b2c3d4');
      assertBytes(patched.subarray(0, 12), original.subarray(0, 12));
      assertBytes(patched.subarray(16), original.subarray(16));
      assert.equal(decodeOk(patched).seq, 0xa1b2c3d4);
    });

    it('patches a datagram that is a view into a larger buffer without touching its neighbours', () => {
      const datagram = encodePacket(VALID['Text fragment'] as Packet);
      const buffer = concat(new Uint8Array(5).fill(0xee), datagram, new Uint8Array(5).fill(0xee));
      patchSequence(buffer.subarray(5, 5 + datagram.length), 99);
      assert.equal(toHex(buffer.subarray(0, 5)), 'ee'.repeat(5));
      assert.equal(toHex(buffer.subarray(-5)), 'ee'.repeat(5));
      assert.equal(decodeOk(buffer.subarray(5, 5 + datagram.length)).seq, 99);
    });
  });

  describe('truncateUtf8', () => {
    it('returns text that fits unchanged', () => {
      assert.equal(truncateUtf8('héllo', 6), 'héllo');
      assert.equal(truncateUtf8('', 0), '');
    });

    it('cuts before a character that would straddle the limit', () => {
      assert.equal(truncateUtf8('a€', 3), 'a');
      assert.equal(truncateUtf8('a😀b', 4), 'a');
      assert.equal(truncateUtf8('a😀b', 5), 'a😀');
    });

    it('keeps a leading byte-order mark', () => {
      assert.equal(truncateUtf8('\ufeffabcdef', 5), '\ufeffab');
    });

    it('never splits a character and keeps the longest prefix that fits', () => {
      const codePoints = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'é', '€', '😀', '\ufeff', '\u0301'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 40 });
      fc.assert(
        fc.property(codePoints, fc.integer({ min: 0, max: 120 }), (text, maxBytes) => {
          fc.pre(Buffer.from(text).toString() === text); // no lone surrogates
          const cut = truncateUtf8(text, maxBytes);
          assert.ok(Buffer.byteLength(cut) <= maxBytes, 'over the limit');
          assert.ok(text.startsWith(cut), 'not a prefix of the text');
          assert.ok(!cut.includes('\ufffd') || text.includes('\ufffd'), 'introduced a replacement character');
          if (cut !== text) {
            const next = String.fromCodePoint(text.codePointAt(cut.length) as number);
            assert.ok(Buffer.byteLength(cut + next) > maxBytes, 'cut more than needed');
          }
        }),
        { numRuns: 1000 },
      );
    });

    it('never leaves bytes over the limit for an Error datagram', () => {
      assert.equal(MAX_ERROR_TEXT_BYTES, 512);
      assert.equal(Buffer.byteLength(truncateUtf8('😀'.repeat(200), MAX_ERROR_TEXT_BYTES)), 512);
    });
  });
});

/** The hex digits of a fixture, comments and separators removed. */
function fromHexText(text: string): string {
  return toHex(fromHex(text));
}
