import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ImageFormat, MAX_MEMBER_LIST, decodePayload, encodePayload, type MessagePayload } from '../../../src/protocol/payload';
import { PacketType, type MessageType } from '../../../src/protocol/types';
import { MESSAGE_TYPES, payloadArb } from '../../support/arbitraries';
import { assertBytes, assertCodedError, concat, fromHex } from '../../support/bytes';

function decodeOk(type: MessageType, bytes: Uint8Array): MessagePayload {
  const result = decodePayload(type, bytes);
  if (!result.ok) assert.fail(`expected a payload, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

const typeName = (type: number): string => Object.entries(PacketType).find(([, value]) => value === type)?.[0] ?? String(type);

const SENT_AT = 1_700_000_000_000;

/** An Image payload's bytes with the given header fields, for rejections the encoder would never produce. */
function imageBytes(width: number, height: number, format: number, data: Uint8Array = fromHex('ffd8ff')): Uint8Array {
  const head = new Uint8Array(8 + 1 + 3 + 9);
  const view = new DataView(head.buffer);
  view.setBigUint64(0, BigInt(SENT_AT));
  head.set(fromHex('03 616e6e'), 8); // sender "ann"
  view.setUint32(12, width);
  view.setUint32(16, height);
  view.setUint8(20, format);
  return concat(head, data);
}

const EXAMPLES: MessagePayload[] = [
  { type: PacketType.MemberList, members: [] },
  {
    type: PacketType.MemberList,
    members: [
      { id: 1, name: 'ann', flags: 0 },
      { id: 0xffff_ffff, name: 'Zoë 😀', flags: 1 },
    ],
  },
  { type: PacketType.MemberJoined, member: { id: 42, name: 'bob', flags: 1 } },
  { type: PacketType.MemberJoined, member: { id: 43, name: 'cy', flags: 0, signingKey: new Uint8Array(32).fill(7) } },
  { type: PacketType.MemberLeft, member: { id: 42, name: 'bob', flags: 0 }, reason: 2 },
  { type: PacketType.Leave, reason: 1 },
  { type: PacketType.Notice, code: 8, message: "the image is larger than this relay's limit of 10485760 bytes" },
  { type: PacketType.Text, sentAt: SENT_AT, sender: 'ann', text: 'hello' },
  { type: PacketType.Text, sentAt: 0, sender: '', text: '' },
  { type: PacketType.Text, sentAt: Number.MAX_SAFE_INTEGER, sender: 'x'.repeat(32), text: 'max' },
  { type: PacketType.Image, sentAt: SENT_AT, sender: 'ann', width: 640, height: 480, format: ImageFormat.Jpeg, data: fromHex('ffd8ffe0') },
  { type: PacketType.Image, sentAt: SENT_AT, sender: 'ann', width: 65_535, height: 1, format: ImageFormat.Png, data: fromHex('89') },
];

describe('protocol/payload', () => {
  describe('round trips', () => {
    for (const type of MESSAGE_TYPES) {
      it(`decodes every encoded ${typeName(type)} payload to the same value`, () => {
        fc.assert(
          fc.property(payloadArb[type], (payload) => {
            assert.deepEqual(decodeOk(type, encodePayload(payload)), payload);
          }),
          { numRuns: 300 },
        );
      });
    }

    for (const payload of EXAMPLES) {
      it(`round-trips the example ${typeName(payload.type)} ${JSON.stringify(payload, (_, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v)).slice(0, 60)}`, () => {
        assert.deepEqual(decodeOk(payload.type, encodePayload(payload)), payload);
      });
    }

    it('encodes a Text as sent-at (u64 ms), sender (u8-prefixed) and the text bytes to the end', () => {
      const bytes = encodePayload({ type: PacketType.Text, sentAt: 0x0102_0304_0506, sender: 'ann', text: 'hi' });
      assertBytes(bytes, fromHex('0000010203040506 | 03 616e6e | 6869'));
    });

    it('encodes a MemberList as a u16 count and id, flags, name, member key (u8-prefixed) per member', () => {
      const bytes = encodePayload({ type: PacketType.MemberList, members: [{ id: 7, flags: 1, name: 'al' }] });
      assertBytes(bytes, fromHex('0001 | 00000007 01 02 616c 00'));
      const keyed = encodePayload({ type: PacketType.MemberList, members: [{ id: 7, flags: 1, name: 'al', signingKey: new Uint8Array(32).fill(0xab) }] });
      assertBytes(keyed, concat(fromHex('0001 | 00000007 01 02 616c 20'), new Uint8Array(32).fill(0xab)));
    });

    it('accepts a member list of exactly the largest size', () => {
      const members = Array.from({ length: MAX_MEMBER_LIST }, (_, i) => ({ id: i + 1, name: `m${i}`, flags: 0 }));
      const payload: MessagePayload = { type: PacketType.MemberList, members };
      assert.deepEqual(decodeOk(PacketType.MemberList, encodePayload(payload)), payload);
    });
  });

  describe('texts', () => {
    const texts: Record<string, string> = {
      emoji: 'family 👨‍👩‍👧‍👦, flag 🇫🇷, skin tone 👍🏽, keycap 1️⃣',
      'right-to-left': 'مرحبا بالعالم — שלום עולם',
      'a bidi override': 'abc\u202edcba\u202c',
      markup: '<script>alert("x")</script> <img src=x onerror=alert(1)> **bold** `code` [link](javascript:void 0)',
      'combining marks': 'e\u0301 Z\u0351\u0325\u0346a\u0308\u0301l\u0327g\u0301o\u0303',
      'control characters': 'nul\u0000 bell\u0007 tab\t crlf\r\n',
      'a byte-order mark': '\ufeffstarts with a BOM',
      'only whitespace': '   \n\t ',
      'astral and private-use characters': '\u{10ffff}\u{e000}\u{1f9ea}',
    };
    for (const [what, text] of Object.entries(texts)) {
      it(`keeps a text with ${what} unchanged`, () => {
        const payload: MessagePayload = { type: PacketType.Text, sentAt: SENT_AT, sender: '🦊 fox', text };
        const decoded = decodeOk(PacketType.Text, encodePayload(payload));
        assert.equal((decoded as { text: string }).text, text);
        assert.deepEqual(decoded, payload);
      });
    }

    it('rejects a text that is not valid UTF-8', () => {
      const bytes = concat(fromHex('0000000000000001 00'), fromHex('68 ff 69'));
      assertCodedError(decodePayload(PacketType.Text, bytes), 'UDPCHAT_ERR_BAD_STRING');
    });

    it('rejects a sender name longer than 32 bytes', () => {
      const bytes = concat(fromHex('0000000000000001 21'), new Uint8Array(33).fill(0x61), fromHex('6869'));
      assertCodedError(decodePayload(PacketType.Text, bytes), 'UDPCHAT_ERR_BAD_STRING');
    });

    it('rejects a sent-at time beyond what a Number holds exactly', () => {
      const bytes = fromHex('0020000000000000 00 6869'); // 2^53
      assertCodedError(decodePayload(PacketType.Text, bytes), 'UDPCHAT_ERR_BAD_FIELD');
      assert.equal(decodePayload(PacketType.Text, fromHex('001fffffffffffff 00 6869')).ok, true);
    });

    it('rejects a Text cut inside its sent-at time or sender', () => {
      const bytes = encodePayload({ type: PacketType.Text, sentAt: SENT_AT, sender: 'ann', text: 'hi' });
      for (let length = 0; length < 12; length++) assertCodedError(decodePayload(PacketType.Text, bytes.subarray(0, length)), 'UDPCHAT_ERR_TRUNCATED');
    });
  });

  describe('images', () => {
    it('accepts the smallest and largest declared sides', () => {
      assert.equal(decodePayload(PacketType.Image, imageBytes(1, 1, ImageFormat.Jpeg)).ok, true);
      assert.equal(decodePayload(PacketType.Image, imageBytes(65_535, 65_535, ImageFormat.Png)).ok, true);
    });

    it('rejects an image with a zero width or height', () => {
      assertCodedError(decodePayload(PacketType.Image, imageBytes(0, 10, ImageFormat.Jpeg)), 'UDPCHAT_ERR_BAD_FIELD');
      assertCodedError(decodePayload(PacketType.Image, imageBytes(10, 0, ImageFormat.Jpeg)), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects an image side over 65,535 pixels', () => {
      assertCodedError(decodePayload(PacketType.Image, imageBytes(65_536, 10, ImageFormat.Jpeg)), 'UDPCHAT_ERR_BAD_FIELD');
      assertCodedError(decodePayload(PacketType.Image, imageBytes(10, 0xffff_ffff, ImageFormat.Jpeg)), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects an unknown image format', () => {
      for (const format of [0, 3, 0xff]) {
        assertCodedError(decodePayload(PacketType.Image, imageBytes(10, 10, format)), 'UDPCHAT_ERR_BAD_FIELD');
      }
    });

    it('rejects an image without data', () => {
      assertCodedError(decodePayload(PacketType.Image, imageBytes(10, 10, ImageFormat.Png, new Uint8Array(0))), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects an Image cut before its data', () => {
      const bytes = imageBytes(10, 10, ImageFormat.Png);
      for (let length = 0; length < 21; length++) assertCodedError(decodePayload(PacketType.Image, bytes.subarray(0, length)));
    });
  });

  describe('members', () => {
    it('rejects member id 0 in a member list', () => {
      const bytes = fromHex('0002 | 00000001 00 01 61 00 | 00000000 00 01 62 00');
      assertCodedError(decodePayload(PacketType.MemberList, bytes), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects member id 0 in a join or leave notice', () => {
      assertCodedError(decodePayload(PacketType.MemberJoined, fromHex('00000000 00 01 61 00')), 'UDPCHAT_ERR_BAD_FIELD');
      assertCodedError(decodePayload(PacketType.MemberLeft, fromHex('00000000 00 01 61 00 01')), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects a member list longer than the largest allowed before reading it', () => {
      const tooMany = new Uint8Array(2);
      new DataView(tooMany.buffer).setUint16(0, MAX_MEMBER_LIST + 1);
      assertCodedError(decodePayload(PacketType.MemberList, tooMany), 'UDPCHAT_ERR_BAD_FIELD');
      assertCodedError(decodePayload(PacketType.MemberList, fromHex('ffff')), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects a member list with fewer members than its count', () => {
      assertCodedError(decodePayload(PacketType.MemberList, fromHex('0002 | 00000001 00 01 61 00')), 'UDPCHAT_ERR_TRUNCATED');
    });

    it('rejects a member key of any length but 0 or 32 bytes', () => {
      for (const length of [1, 31, 33, 255]) {
        const bytes = concat(fromHex('00000001 00 01 61'), Uint8Array.of(length), new Uint8Array(length));
        assertCodedError(decodePayload(PacketType.MemberJoined, bytes), 'UDPCHAT_ERR_BAD_FIELD');
      }
    });

    it('rejects every truncated prefix of member announcements carrying keys', () => {
      const member = { id: 9, flags: 0, name: 'ann', signingKey: new Uint8Array(32).fill(3) };
      const announcements: MessagePayload[] = [
        { type: PacketType.MemberList, members: [member, { ...member, id: 10 }] },
        { type: PacketType.MemberJoined, member },
        { type: PacketType.MemberLeft, member, reason: 1 },
      ];
      for (const payload of announcements) {
        const bytes = encodePayload(payload);
        assert.deepEqual(decodeOk(payload.type, bytes), payload);
        for (let length = 0; length < bytes.length; length++) {
          assert.equal(decodePayload(payload.type, bytes.subarray(0, length)).ok, false, `${typeName(payload.type)} cut at ${length}`);
        }
      }
    });

    it('rejects a member name that is not valid UTF-8', () => {
      assertCodedError(decodePayload(PacketType.MemberJoined, fromHex('00000001 00 02 c3 28')), 'UDPCHAT_ERR_BAD_STRING');
    });

    it('rejects a member name longer than 32 bytes', () => {
      const bytes = concat(fromHex('00000001 00 21'), new Uint8Array(33).fill(0x61));
      assertCodedError(decodePayload(PacketType.MemberJoined, bytes), 'UDPCHAT_ERR_BAD_STRING');
    });
  });

  describe('notices', () => {
    it('rejects a notice text longer than 512 bytes', () => {
      const bytes = concat(fromHex('0008 0201'), new Uint8Array(513).fill(0x61));
      assertCodedError(decodePayload(PacketType.Notice, bytes), 'UDPCHAT_ERR_BAD_STRING');
    });
  });

  describe('trailing bytes', () => {
    /** Payloads whose every byte is a counted field (Text and Image run to the end, so extra bytes are content). */
    const EXACT_TYPES: ReadonlySet<number> = new Set([PacketType.MemberList, PacketType.MemberJoined, PacketType.MemberLeft, PacketType.Leave, PacketType.Notice]);
    const exact = EXAMPLES.filter((payload) => EXACT_TYPES.has(payload.type)).map((payload): [MessageType, MessagePayload] => [payload.type, payload]);

    for (const [type, payload] of exact) {
      const size = encodePayload(payload).length;
      it(`rejects bytes after a ${typeName(type)} payload of ${size} byte${size === 1 ? '' : 's'}`, () => {
        const bytes = concat(encodePayload(payload), fromHex('00'));
        assertCodedError(decodePayload(type, bytes), 'UDPCHAT_ERR_TRAILING_BYTES');
      });

      it(`rejects every truncated prefix of a ${typeName(type)} payload of ${size} byte${size === 1 ? '' : 's'}`, () => {
        const bytes = encodePayload(payload);
        for (let length = 0; length < bytes.length; length++) {
          assertCodedError(decodePayload(type, bytes.subarray(0, length)), 'UDPCHAT_ERR_TRUNCATED');
        }
      });
    }
  });

  it('decodes bytes as the type it is told, rejecting a payload of another type', () => {
    const text = encodePayload({ type: PacketType.Text, sentAt: SENT_AT, sender: 'ann', text: 'hello' });
    assertCodedError(decodePayload(PacketType.Leave, text), 'UDPCHAT_ERR_TRAILING_BYTES');
  });
});
