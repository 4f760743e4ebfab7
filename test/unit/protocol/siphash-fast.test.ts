import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { sipHash128, sipKey } from '../../../src/protocol/siphash';
import { sipHash128Prefix, sipHashUsesWasm } from '../../../src/protocol/siphash-fast';
import { VECTORS } from '../../support/siphash-vectors';

const referenceKey = sipKey(Uint8Array.from({ length: 16 }, (_, i) => i));
const message = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i & 0xff);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function fast(key: ReturnType<typeof sipKey>, bytes: Uint8Array, length: number): string {
  const out = new Uint8Array(16);
  sipHash128Prefix(key, bytes, length, out, 0);
  return hex(out);
}

function reference(key: ReturnType<typeof sipKey>, bytes: Uint8Array, length: number): string {
  const out = new Uint8Array(16);
  sipHash128(key, [bytes.subarray(0, length)], out);
  return hex(out);
}

describe('protocol/siphash-fast', () => {
  it('runs on WebAssembly in Node', () => {
    assert.equal(sipHashUsesWasm(), true);
  });

  for (const [length, expected] of VECTORS) {
    it(`matches the reference vector for ${length} bytes`, () => {
      assert.equal(fast(referenceKey, message(length), length), expected);
    });
  }

  it('gives the JavaScript implementation’s tag for any key, message and prefix length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 1600 }), fc.nat(), (keyBytes, bytes, cut) => {
        const key = sipKey(keyBytes);
        const length = bytes.length === 0 ? 0 : cut % (bytes.length + 1);
        assert.equal(fast(key, bytes, length), reference(key, bytes, length));
      }),
      { numRuns: 500 },
    );
  });

  it('ignores what follows the prefix (a datagram’s own tag field)', () => {
    const bytes = message(300);
    const before = fast(referenceKey, bytes, 284);
    bytes.fill(0xaa, 284);
    assert.equal(fast(referenceKey, bytes, 284), before);
  });

  it('writes the tag at the offset asked, and nothing else', () => {
    const out = new Uint8Array(40).fill(7);
    sipHash128Prefix(referenceKey, message(100), 100, out, 20);
    assert.equal(hex(out.subarray(20, 36)), '39732dd009be17338297c6358fe5e6d9');
    assert.ok(out.subarray(0, 20).every((byte) => byte === 7) && out.subarray(36).every((byte) => byte === 7));
  });

  it('hashes input larger than its memory with the JavaScript implementation, to the same tag', () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
    assert.equal(fast(referenceKey, bytes, 69_990), reference(referenceKey, bytes, 69_990));
  });

  it('refuses a prefix longer than the bytes', () => {
    assert.throws(() => sipHash128Prefix(referenceKey, message(10), 11, new Uint8Array(16), 0), RangeError);
  });

  it('is the module scripts/siphash-wasm.mjs builds', () => {
    const root = path.join(__dirname, '..', '..', '..');
    execFileSync(process.execPath, [path.join(root, 'scripts', 'siphash-wasm.mjs'), '--check'], { stdio: 'pipe' });
  });
});
