/**
 * SipHash-2-4-128 of one contiguous range, through the WebAssembly build (siphash-wasm.ts) when this runtime can
 * instantiate it and the range fits its memory, through the JavaScript of siphash.ts otherwise; both give the same
 * tag (test/unit/protocol/siphash-fast.test.ts). A relay tags every datagram it fans out, a member verifies every
 * one it gets: for a 1,200-byte fragment WebAssembly is several times faster (bench:relay --bulk).
 */
import { sipHash128, type SipKey } from './siphash';
import { SIPHASH_WASM_BASE64, SIPHASH_WASM_INPUT_OFFSET } from './siphash-wasm';

interface WasmSip {
  /** The module's memory: the tag at [0, 16), the message from SIPHASH_WASM_INPUT_OFFSET. It never grows. */
  memory: Uint8Array;
  sip: (k0lo: number, k0hi: number, k1lo: number, k1hi: number, length: number) => void;
}

/** Undefined until first use; null when WebAssembly is unavailable here (the JavaScript serves then). */
let wasm: WasmSip | null | undefined;

function instantiate(): WasmSip | null {
  try {
    const module = new WebAssembly.Module(Buffer.from(SIPHASH_WASM_BASE64, 'base64'));
    const exports = new WebAssembly.Instance(module, {}).exports as { memory: WebAssembly.Memory; sip: WasmSip['sip'] };
    return { memory: new Uint8Array(exports.memory.buffer), sip: exports.sip };
  } catch {
    return null;
  }
}

/** Whether tags are computed by WebAssembly here (for diagnostics and tests). */
export function sipHashUsesWasm(): boolean {
  wasm ??= instantiate();
  return wasm !== null;
}

/**
 * The tag of `bytes[0, length)` into `out[offset, offset + 16)`. Copies `bytes` whole (a datagram's own tag
 * field included, which costs less than making a view of the range), so `length` ≤ `bytes.length`.
 */
export function sipHash128Prefix(key: SipKey, bytes: Uint8Array, length: number, out: Uint8Array, offset: number): void {
  if (!(length >= 0 && length <= bytes.length)) throw new RangeError(`a prefix of ${length} bytes of ${bytes.length}`);
  wasm ??= instantiate();
  if (wasm === null || bytes.length > wasm.memory.length - SIPHASH_WASM_INPUT_OFFSET) {
    sipHash128(key, [bytes.subarray(0, length)], out, offset);
    return;
  }
  const memory = wasm.memory;
  memory.set(bytes, SIPHASH_WASM_INPUT_OFFSET);
  wasm.sip(key.k0lo, key.k0hi, key.k1lo, key.k1hi, length);
  for (let i = 0; i < 16; i++) out[offset + i] = memory[i] as number;
}
