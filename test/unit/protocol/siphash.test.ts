import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sipHash128, sipKey, tagsEqual } from '../../../src/protocol/siphash';
import { VECTORS } from '../../support/siphash-vectors';


const referenceKey = sipKey(Uint8Array.from({ length: 16 }, (_, i) => i));
const message = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i & 0xff);
const hash = (parts: Uint8Array[], key = referenceKey): string => {
  const out = new Uint8Array(16);
  sipHash128(key, parts, out);
  return Buffer.from(out).toString('hex');
};

describe('sipHash128', () => {
  for (const [length, expected] of VECTORS) {
    it(`matches the reference vector for ${length} bytes`, () => {
      assert.equal(hash([message(length)]), expected);
    });
  }

  it('gives the same tag however the input is split into parts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
        const parts: Uint8Array[] = [];
        let start = 0;
        for (const point of points) {
          parts.push(bytes.subarray(start, point));
          start = point;
        }
        parts.push(bytes.subarray(start));
        assert.equal(hash(parts), hash([bytes]));
      }),
      { numRuns: 500 },
    );
  });

  it('writes the tag at the offset given and nowhere else', () => {
    const out = new Uint8Array(20).fill(0xaa);
    sipHash128(referenceKey, [message(3)], out, 2);
    assert.deepEqual([...out.subarray(0, 2)], [0xaa, 0xaa]);
    assert.deepEqual([...out.subarray(18)], [0xaa, 0xaa]);
    assert.equal(Buffer.from(out.subarray(2, 18)).toString('hex'), hash([message(3)]));
  });

  it('changes with the key', () => {
    const other = sipKey(Uint8Array.from({ length: 16 }, (_, i) => 15 - i));
    assert.notEqual(hash([message(10)], other), hash([message(10)]));
  });

  it('refuses a key that is not 16 bytes', () => {
    assert.throws(() => sipKey(new Uint8Array(15)), RangeError);
  });
});

describe('tagsEqual', () => {
  it('compares equal and unequal tags at offsets', () => {
    const a = Uint8Array.of(9, 1, 2, 3);
    const b = Uint8Array.of(1, 2, 3, 7);
    assert.equal(tagsEqual(a, 1, b, 0, 3), true);
    assert.equal(tagsEqual(a, 0, b, 0, 3), false);
  });
});
