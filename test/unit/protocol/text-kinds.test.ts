import assert from 'node:assert/strict';
import { ByteReader } from '../../../src/protocol/bytes';
import { MAX_NAME_BYTES } from '../../../src/protocol/constants';
import { decodePayload, encodePayload, type MessagePayload } from '../../../src/protocol/payload';
import { TEXT_KIND_MARK } from '../../../src/protocol/text-kinds';
import { PacketType } from '../../../src/protocol/types';
import { assertBytes, assertCodedError, concat, fromHex } from '../../support/bytes';

const SENT_AT = 1_700_000_000_000;
const TARGET = 0x0102_0304_0506_0708n;
type Text = Extract<MessagePayload, { type: typeof PacketType.Text }>;

const text = (fields: Pick<Text, 'text' | 'kind'>): Text => ({ type: PacketType.Text, sentAt: SENT_AT, sender: 'ann', ...fields });

const EXAMPLES: Record<string, Text> = {
  reply: text({ text: 'yes', kind: { kind: 'reply', target: TARGET } }),
  reaction: text({ text: '', kind: { kind: 'reaction', target: TARGET, emoji: '👍', on: true } }),
  'reaction off': text({ text: '', kind: { kind: 'reaction', target: TARGET, emoji: '👩‍💻', on: false } }),
  edit: text({ text: 'fixed', kind: { kind: 'edit', target: TARGET } }),
  delete: text({ text: '', kind: { kind: 'delete', target: TARGET } }),
};

const decodeText = (bytes: Uint8Array) => decodePayload(PacketType.Text, bytes);

describe('protocol/text-kinds', () => {
  for (const [name, payload] of Object.entries(EXAMPLES)) {
    it(`decodes an encoded ${name} to the same value`, () => {
      assert.deepEqual(decodeText(encodePayload(payload)), { ok: true, value: payload });
    });

    it(`rejects every truncated prefix of a ${name}`, () => {
      const bytes = encodePayload(payload);
      // A reply's or an edit's text runs to the end: cut inside it, it is a shorter text, not a truncation.
      const fixed = payload.kind?.kind === 'reply' || payload.kind?.kind === 'edit' ? bytes.length - new TextEncoder().encode(payload.text).length : bytes.length;
      for (let length = 0; length < fixed; length++) assertCodedError(decodeText(bytes.subarray(0, length)), 'UDPCHAT_ERR_TRUNCATED');
    });
  }

  it('lays a reaction out as sent at, the mark, the kind, the sender, the message id, on and the emoji', () => {
    assertBytes(
      encodePayload(EXAMPLES.reaction as Text),
      fromHex(`
        0000018bcfe56800   // sent at
        ff                 // the mark: no sender name is 255 bytes
        02                 // kind: reaction
        03 616e6e          // sender "ann"
        0102030405060708   // the message reacted to
        01                 // on
        04 f09f918d        // "👍"
      `),
    );
  });

  it('is refused by a decoder of plain texts, as older version-3 clients read them, instead of shown', () => {
    // What every version-3 client before these kinds does with a Text payload: sent at, then the sender (≤ 32 bytes).
    for (const payload of Object.values(EXAMPLES)) {
      const reader = new ByteReader(encodePayload(payload));
      reader.timestamp('sent at');
      assert.throws(() => reader.str8(MAX_NAME_BYTES, 'sender'), /sender longer than 32 bytes/);
    }
    assert.ok(TEXT_KIND_MARK > MAX_NAME_BYTES);
  });

  it('decodes a kind it does not know as unknown, whatever follows, so a receiver can ignore it', () => {
    const bytes = concat(encodePayload(text({ text: '', kind: { kind: 'unknown', code: 0x7f } })), fromHex('deadbeef'));
    assert.deepEqual(decodeText(bytes), { ok: true, value: text({ text: '', kind: { kind: 'unknown', code: 0x7f, rest: fromHex('deadbeef') } }) });
  });

  it('encodes an unknown kind again to the very bytes it was decoded from', () => {
    const bytes = concat(encodePayload(text({ text: '', kind: { kind: 'unknown', code: 0 } })), fromHex('ac61f090'));
    const decoded = decodeText(bytes);
    assert.ok(decoded.ok);
    assert.deepEqual(encodePayload(decoded.value), bytes);
  });

  it('still decodes a plain text as before, with no kind', () => {
    const plain = { type: PacketType.Text, sentAt: SENT_AT, sender: 'ann', text: 'hello' } as const;
    assert.deepEqual(decodeText(encodePayload(plain)), { ok: true, value: plain });
  });

  it('rejects a plain sender name longer than 32 bytes that is not the mark', () => {
    assertCodedError(decodeText(concat(fromHex('0000018bcfe56800 21'), new Uint8Array(33).fill(0x61))), 'UDPCHAT_ERR_BAD_STRING');
  });

  describe('malformed', () => {
    const reactionBytes = (on: string, emoji: string): Uint8Array => fromHex(`0000018bcfe56800 ff 02 03616e6e 0102030405060708 ${on} ${emoji}`);

    it('rejects a reaction whose on is neither 0 nor 1', () => {
      assertCodedError(decodeText(reactionBytes('02', '04f09f918d')), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects a reaction that is not one emoji', () => {
      assertCodedError(decodeText(reactionBytes('01', '02 6f6b')), 'UDPCHAT_ERR_BAD_FIELD'); // "ok": two characters
      assertCodedError(decodeText(reactionBytes('01', '01 20')), 'UDPCHAT_ERR_BAD_FIELD'); // a space
      assertCodedError(decodeText(reactionBytes('01', '00')), 'UDPCHAT_ERR_BAD_FIELD'); // nothing
    });

    it('rejects a reaction whose emoji is longer than 32 bytes', () => {
      assertCodedError(decodeText(reactionBytes('01', `21 ${'61'.repeat(33)}`)), 'UDPCHAT_ERR_BAD_STRING');
    });

    it('rejects bytes after a reaction or a delete', () => {
      assertCodedError(decodeText(concat(encodePayload(EXAMPLES.reaction as Text), fromHex('00'))), 'UDPCHAT_ERR_TRAILING_BYTES');
      assertCodedError(decodeText(concat(encodePayload(EXAMPLES.delete as Text), fromHex('00'))), 'UDPCHAT_ERR_TRAILING_BYTES');
    });

    it('rejects an action about message id 0, which no message has', () => {
      assertCodedError(decodeText(fromHex('0000018bcfe56800 ff 04 03616e6e 0000000000000000')), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects an edit without text', () => {
      assertCodedError(decodeText(fromHex('0000018bcfe56800 ff 03 03616e6e 0102030405060708')), 'UDPCHAT_ERR_BAD_FIELD');
    });

    it('rejects a reply or an edit whose text is not UTF-8', () => {
      assertCodedError(decodeText(fromHex('0000018bcfe56800 ff 01 03616e6e 0102030405060708 c3')), 'UDPCHAT_ERR_BAD_STRING');
      assertCodedError(decodeText(fromHex('0000018bcfe56800 ff 03 03616e6e 0102030405060708 ff')), 'UDPCHAT_ERR_BAD_STRING');
    });
  });
});
