// Builds src/protocol/siphash-wasm.ts: SipHash-2-4-128 as a WebAssembly module, from the WebAssembly text written
// out below (the rounds unrolled), assembled with wabt. Native 64-bit arithmetic makes it several times faster
// than the JavaScript on 32-bit halves, and every datagram of a session carries a tag of it.
// Usage: node scripts/siphash-wasm.mjs           (writes the module)
//        node scripts/siphash-wasm.mjs --check   (exits 1 when the committed module is not what this builds)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'src', 'protocol', 'siphash-wasm.ts');

/** Where the message starts in the module's memory; the 16-byte tag is written at 0. */
export const INPUT_OFFSET = 32;

const rotl = (name, bits) => `(local.set ${name} (i64.rotl (local.get ${name}) (i64.const ${bits})))`;
const add = (a, b) => `(local.set ${a} (i64.add (local.get ${a}) (local.get ${b})))`;
const xor = (a, b) => `(local.set ${a} (i64.xor (local.get ${a}) (local.get ${b})))`;
const sipRound = [
  add('$v0', '$v1'), rotl('$v1', 13), xor('$v1', '$v0'), rotl('$v0', 32),
  add('$v2', '$v3'), rotl('$v3', 16), xor('$v3', '$v2'),
  add('$v0', '$v3'), rotl('$v3', 21), xor('$v3', '$v0'),
  add('$v2', '$v1'), rotl('$v1', 17), xor('$v1', '$v2'), rotl('$v2', 32),
].join('\n      ');
const rounds = (count) => Array.from({ length: count }, () => sipRound).join('\n      ');
const word = (a, b) => `(i64.or (i64.extend_i32_u (local.get ${a})) (i64.shl (i64.extend_i32_u (local.get ${b})) (i64.const 32)))`;

export const WAT = `(module
  (memory (export "memory") 1)
  ;; sip(k0lo, k0hi, k1lo, k1hi, length): SipHash-2-4-128 of memory[${INPUT_OFFSET}, ${INPUT_OFFSET} + length) into memory[0, 16).
  (func (export "sip") (param $k0lo i32) (param $k0hi i32) (param $k1lo i32) (param $k1hi i32) (param $length i32)
    (local $k0 i64) (local $k1 i64) (local $v0 i64) (local $v1 i64) (local $v2 i64) (local $v3 i64)
    (local $m i64) (local $at i32) (local $end i32) (local $i i32)
    (local.set $k0 ${word('$k0lo', '$k0hi')})
    (local.set $k1 ${word('$k1lo', '$k1hi')})
    (local.set $v0 (i64.xor (local.get $k0) (i64.const 0x736f6d6570736575)))
    (local.set $v1 (i64.xor (local.get $k1) (i64.const 0x646f72616e646f83)))
    (local.set $v2 (i64.xor (local.get $k0) (i64.const 0x6c7967656e657261)))
    (local.set $v3 (i64.xor (local.get $k1) (i64.const 0x7465646279746573)))
    (local.set $at (i32.const ${INPUT_OFFSET}))
    (local.set $end (i32.add (i32.const ${INPUT_OFFSET}) (i32.and (local.get $length) (i32.const -8))))
    (block $words
      (loop $next
        (br_if $words (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $m (i64.load (local.get $at)))
        ${xor('$v3', '$m')}
      ${rounds(2)}
        ${xor('$v0', '$m')}
        (local.set $at (i32.add (local.get $at) (i32.const 8)))
        (br $next)))
    ;; The last word: the remaining 0-7 bytes, and the length's low byte at the top.
    (local.set $m (i64.shl (i64.extend_i32_u (i32.and (local.get $length) (i32.const 255))) (i64.const 56)))
    (local.set $i (i32.const 0))
    (block $tail
      (loop $byte
        (br_if $tail (i32.ge_u (local.get $i) (i32.and (local.get $length) (i32.const 7))))
        (local.set $m (i64.or (local.get $m)
          (i64.shl (i64.load8_u (i32.add (local.get $end) (local.get $i))) (i64.extend_i32_u (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    ${xor('$v3', '$m')}
      ${rounds(2)}
    ${xor('$v0', '$m')}
    (local.set $v2 (i64.xor (local.get $v2) (i64.const 0xee)))
      ${rounds(4)}
    (i64.store (i32.const 0) (i64.xor (i64.xor (local.get $v0) (local.get $v1)) (i64.xor (local.get $v2) (local.get $v3))))
    (local.set $v1 (i64.xor (local.get $v1) (i64.const 0xdd)))
      ${rounds(4)}
    (i64.store (i32.const 8) (i64.xor (i64.xor (local.get $v0) (local.get $v1)) (i64.xor (local.get $v2) (local.get $v3))))))
`;

async function build() {
  const tools = await wabt();
  const module = tools.parseWat('siphash.wat', WAT);
  module.validate();
  const { buffer } = module.toBinary({});
  module.destroy();
  return `/**
 * SipHash-2-4-128 as WebAssembly (${buffer.length} bytes), built by scripts/siphash-wasm.mjs from the text it holds;
 * \`npm test\` checks that this is what the script builds. Exports \`memory\` and \`sip(k0lo, k0hi, k1lo, k1hi, length)\`,
 * which hashes memory[${INPUT_OFFSET}, ${INPUT_OFFSET} + length) into memory[0, 16).
 */
export const SIPHASH_WASM_BASE64 = '${Buffer.from(buffer).toString('base64')}';

/** Where the message goes in the module's memory. */
export const SIPHASH_WASM_INPUT_OFFSET = ${INPUT_OFFSET};
`;
}

const source = await build();
if (process.argv.includes('--check')) {
  const committed = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (committed !== source) {
    console.error(`${path.relative(root, target)} is not what scripts/siphash-wasm.mjs builds: run it and commit the result`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(target, source);
  console.log(`wrote ${path.relative(root, target)}`);
}
