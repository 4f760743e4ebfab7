import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_LEGACY_DATAGRAM_BYTES,
  formatLegacyImageNotice,
  formatLegacyJoin,
  formatLegacyLeave,
  formatLegacyText,
  parseLegacy,
} from '../../../src/protocol/legacy';
import { concat, fromHex } from '../../support/bytes';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
/** A JPEG's first bytes: start-of-image, then an APP0 marker. */
const JPEG = fromHex('ffd8ffe0 0010 4a464946 00');

describe('protocol/legacy', () => {
  describe('join and leave lines', () => {
    it('reads a join line from an unknown sender', () => {
      assert.deepEqual(parseLegacy(utf8('ann has joined the chat.')), { kind: 'join', name: 'ann' });
    });

    it('reads a leave line', () => {
      assert.deepEqual(parseLegacy(utf8('ann has left the chat.')), { kind: 'leave', name: 'ann' });
      assert.deepEqual(parseLegacy(utf8('ann has left the chat.'), 'ann'), { kind: 'leave', name: 'ann' });
    });

    it('reads a join line repeated by the member who sent it', () => {
      assert.deepEqual(parseLegacy(utf8('ann has joined the chat.'), 'ann'), { kind: 'join', name: 'ann' });
    });

    it('does not let a known member announce someone else', () => {
      assert.equal(parseLegacy(utf8('bob has joined the chat.'), 'ann'), undefined);
      assert.equal(parseLegacy(utf8('bob has left the chat.'), 'ann'), undefined);
    });

    it('ignores one trailing newline or CRLF', () => {
      assert.deepEqual(parseLegacy(utf8('ann has joined the chat.\n')), { kind: 'join', name: 'ann' });
      assert.deepEqual(parseLegacy(utf8('ann has left the chat.\r\n'), 'ann'), { kind: 'leave', name: 'ann' });
    });

    it('reads a join line whose name contains ": "', () => {
      assert.deepEqual(parseLegacy(utf8('a: b has joined the chat.')), { kind: 'join', name: 'a: b' });
    });

    it('does not read a line with no name as a join', () => {
      assert.equal(parseLegacy(utf8(' has joined the chat.')), undefined);
    });

    it('reads a known member saying something that ends like a join line as text', () => {
      assert.deepEqual(parseLegacy(utf8('ann: bob has joined the chat.'), 'ann'), { kind: 'text', name: 'ann', text: 'bob has joined the chat.' });
      assert.deepEqual(parseLegacy(utf8('ann: I has left the chat.'), 'ann'), { kind: 'text', name: 'ann', text: 'I has left the chat.' });
    });
  });

  describe('text lines', () => {
    it('splits an unknown sender\'s line at the first ": "', () => {
      assert.deepEqual(parseLegacy(utf8('ann: hello: world')), { kind: 'text', name: 'ann', text: 'hello: world' });
    });

    it('splits a known sender\'s line right after its name, even when the name contains ": "', () => {
      assert.deepEqual(parseLegacy(utf8('a: b: hi'), 'a: b'), { kind: 'text', name: 'a: b', text: 'hi' });
    });

    it('drops a known sender\'s line that does not start with its name', () => {
      assert.equal(parseLegacy(utf8('bob: hi'), 'ann'), undefined);
      assert.equal(parseLegacy(utf8('hi'), 'ann'), undefined);
    });

    it('drops a line with no name', () => {
      assert.equal(parseLegacy(utf8('hello')), undefined);
      assert.equal(parseLegacy(utf8(': hello')), undefined);
    });

    it('keeps an empty text', () => {
      assert.deepEqual(parseLegacy(utf8('ann: '), 'ann'), { kind: 'text', name: 'ann', text: '' });
    });

    it('keeps emoji and right-to-left text', () => {
      assert.deepEqual(parseLegacy(utf8('ann: 👋 مرحبا'), 'ann'), { kind: 'text', name: 'ann', text: '👋 مرحبا' });
    });

    it('drops a datagram that is not UTF-8 and not an image', () => {
      assert.equal(parseLegacy(concat(utf8('ann: '), fromHex('ff fe'))), undefined);
    });
  });

  describe('images', () => {
    it('reads an image from the sender whose name it carries', () => {
      const parsed = parseLegacy(concat(utf8('IMG:ann:'), JPEG), 'ann');
      assert.equal(parsed?.kind, 'image');
      assert.deepEqual(parsed?.kind === 'image' && parsed.jpeg, JPEG);
      assert.equal(parsed?.name, 'ann');
    });

    it('reads "IMG: hi" from a member named IMG as text, not an image', () => {
      assert.deepEqual(parseLegacy(utf8('IMG: hi'), 'IMG'), { kind: 'text', name: 'IMG', text: 'hi' });
      assert.deepEqual(parseLegacy(utf8('IMG: hi')), { kind: 'text', name: 'IMG', text: 'hi' });
    });

    it('reads an image from a member named IMG', () => {
      assert.equal(parseLegacy(concat(utf8('IMG:IMG:'), JPEG), 'IMG')?.kind, 'image');
    });

    it('never reads an image from an unknown sender', () => {
      assert.equal(parseLegacy(concat(utf8('IMG:ann:'), JPEG)), undefined);
    });

    it('never reads an image carrying another member\'s name', () => {
      assert.equal(parseLegacy(concat(utf8('IMG:bob:'), JPEG), 'ann'), undefined);
    });

    it('does not read an image whose bytes do not start FF D8 FF', () => {
      assert.equal(parseLegacy(concat(utf8('IMG:ann:'), fromHex('89504e47 0d0a1a0a')), 'ann'), undefined);
      assert.equal(parseLegacy(concat(utf8('IMG:ann:'), fromHex('ffd8 00')), 'ann'), undefined);
      assert.equal(parseLegacy(concat(utf8('IMG:ann:'), fromHex('ffd8')), 'ann'), undefined);
    });

    it('reads "IMG:ann:text" from ann as nothing rather than a text from someone called IMG', () => {
      assert.equal(parseLegacy(utf8('IMG:ann:hello'), 'ann'), undefined);
    });

    it('reads an image from a sender with a non-ASCII name', () => {
      assert.equal(parseLegacy(concat(utf8('IMG:Zoë 🦊:'), JPEG), 'Zoë 🦊')?.kind, 'image');
    });
  });

  describe('sizes', () => {
    it('drops an empty datagram', () => {
      assert.equal(parseLegacy(new Uint8Array(0)), undefined);
      assert.equal(parseLegacy(new Uint8Array(0), 'ann'), undefined);
    });

    it('accepts the largest UDP datagram and drops anything larger', () => {
      const image = (size: number): Uint8Array => {
        const bytes = new Uint8Array(size);
        bytes.set(concat(utf8('IMG:ann:'), JPEG));
        return bytes;
      };
      assert.equal(parseLegacy(image(MAX_LEGACY_DATAGRAM_BYTES), 'ann')?.kind, 'image');
      assert.equal(parseLegacy(image(MAX_LEGACY_DATAGRAM_BYTES + 1), 'ann'), undefined);
    });
  });

  describe('formatting', () => {
    it('formats the classic lines', () => {
      assert.equal(formatLegacyText('ann', 'hi'), 'ann: hi');
      assert.equal(formatLegacyJoin('ann'), 'ann has joined the chat.');
      assert.equal(formatLegacyLeave('ann'), 'ann has left the chat.');
      assert.equal(formatLegacyImageNotice('ann'), 'ann sent an image.');
    });

    it('reads back every text it formats, as the known sender', () => {
      const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((value) => value.trim().length > 0);
      const text = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((value) => !value.endsWith('\n'));
      fc.assert(
        fc.property(name, text, (sender, body) => {
          assert.deepEqual(parseLegacy(utf8(formatLegacyText(sender, body)), sender), { kind: 'text', name: sender, text: body });
        }),
        { numRuns: 500 },
      );
    });

    it('reads back every join and leave line it formats', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.boolean(), (sender, known) => {
          fc.pre(!sender.endsWith('\n'));
          const knownName = known ? sender : undefined;
          assert.deepEqual(parseLegacy(utf8(formatLegacyJoin(sender)), knownName), { kind: 'join', name: sender });
          assert.deepEqual(parseLegacy(utf8(formatLegacyLeave(sender)), knownName), { kind: 'leave', name: sender });
        }),
        { numRuns: 300 },
      );
    });
  });
});
