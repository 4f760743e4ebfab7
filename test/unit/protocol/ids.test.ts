import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageIdSource, formatMessageId, parseMessageId } from '../../../src/protocol/ids';

describe('protocol/ids', () => {
  describe('MessageIdSource', () => {
    it('puts the epoch in the high 32 bits and a counter from 1 in the low', () => {
      const ids = new MessageIdSource(0x0a0b0c0d);
      assert.equal(ids.next(), 0x0a0b0c0d_0000_0001n);
      assert.equal(ids.next(), 0x0a0b0c0d_0000_0002n);
    });

    it('never returns 0, even with epoch 0', () => {
      assert.equal(new MessageIdSource(0).next(), 1n);
    });

    it('returns distinct, increasing ids', () => {
      const ids = new MessageIdSource(7);
      const seen = Array.from({ length: 10_000 }, () => ids.next());
      assert.equal(new Set(seen).size, seen.length);
      for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as bigint) > (seen[i - 1] as bigint));
    });

    it('keeps the ids of different epochs apart', () => {
      const a = new MessageIdSource(1);
      const b = new MessageIdSource(2);
      const fromA = new Set(Array.from({ length: 1000 }, () => a.next()));
      for (let i = 0; i < 1000; i++) assert.ok(!fromA.has(b.next()));
    });

    it('treats the epoch as unsigned 32 bits', () => {
      assert.equal(new MessageIdSource(-1).next() >> 32n, 0xffff_ffffn);
      assert.equal(new MessageIdSource(2 ** 32 + 5).next() >> 32n, 5n);
    });

    it('always returns a u64', () => {
      fc.assert(
        fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (epoch) => {
          const id = new MessageIdSource(epoch).next();
          assert.ok(id > 0n && id <= 0xffff_ffff_ffff_ffffn);
        }),
      );
    });
  });

  describe('formatMessageId and parseMessageId', () => {
    it('formats as 16 lower-case hex digits', () => {
      assert.equal(formatMessageId(1n), '0000000000000001');
      assert.equal(formatMessageId(0xabcdef0123456789n), 'abcdef0123456789');
    });

    it('parses what it formats', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), (id) => {
          assert.equal(parseMessageId(formatMessageId(id)), id);
        }),
      );
    });

    it('parses short and upper-case forms', () => {
      assert.equal(parseMessageId('1'), 1n);
      assert.equal(parseMessageId('ABCDEF'), 0xabcdefn);
    });

    it('refuses anything but 1 to 16 hex digits', () => {
      for (const text of ['', '0'.repeat(17), 'g', '0x1', ' 1', '1 ', '-1', '+1', '1.0', '１']) {
        assert.equal(parseMessageId(text), undefined, JSON.stringify(text));
      }
    });
  });
});
