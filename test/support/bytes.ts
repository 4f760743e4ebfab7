/** Byte helpers for tests: hex fixtures, comparisons and the checks every decoder result must pass. */
import assert from 'node:assert/strict';

/**
 * Bytes from hex text. Whitespace and `|` separators are ignored and `//` starts a comment running to the end of the
 * line, so a fixture can show field boundaries and say what each field is.
 */
export function fromHex(text: string): Uint8Array {
  const digits = text.replace(/\/\/.*$/gm, '').replace(/[\s|]/g, '');
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error(`bad hex fixture: ${text}`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export function assertBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  assert.equal(toHex(actual), toHex(expected), what);
}

export const DECODE_ERROR_CODES: ReadonlySet<string> = new Set([
  'UDPCHAT_ERR_TRUNCATED',
  'UDPCHAT_ERR_BAD_MAGIC',
  'UDPCHAT_ERR_UNSUPPORTED_VERSION',
  'UDPCHAT_ERR_UNKNOWN_TYPE',
  'UDPCHAT_ERR_BAD_FLAGS',
  'UDPCHAT_ERR_BAD_LENGTH',
  'UDPCHAT_ERR_BAD_FRAGMENT',
  'UDPCHAT_ERR_BAD_FIELD',
  'UDPCHAT_ERR_BAD_STRING',
  'UDPCHAT_ERR_TRAILING_BYTES',
  'UDPCHAT_ERR_TOO_LARGE',
]);

/**
 * `catchDecode` turns ANY throw into a coded error, so a decoder bug (a TypeError, a DataView RangeError) would
 * pass a plain "has a code" check. These are the engine's wordings for such throws; a decoder's own are never like them.
 */
const ENGINE_ERROR = /Cannot read|Cannot set|is not a function|is not iterable|undefined|outside the bounds|Invalid typed array|out of range index|Maximum call stack/i;

type DecodedLike = { ok: true } | { ok: false; error: { code: string; message: string } };

/** The result is an error with a known code and a decoder-written message. */
export function assertCodedError(result: DecodedLike, expectedCode?: string): void {
  assert.equal(result.ok, false, 'expected a decode error');
  if (result.ok) return;
  assert.ok(DECODE_ERROR_CODES.has(result.error.code), `unknown error code ${result.error.code}`);
  assert.equal(typeof result.error.message, 'string');
  assert.ok(result.error.message.length > 0, 'empty error message');
  assert.doesNotMatch(result.error.message, ENGINE_ERROR, `decoder crashed inside: ${result.error.message}`);
  if (expectedCode !== undefined) assert.equal(result.error.code, expectedCode, result.error.message);
}

/** True when `result` is well formed: ok, or an error as `assertCodedError` requires. Throws otherwise. */
export function checkDecodeResult(result: DecodedLike): boolean {
  if (result.ok) return true;
  assertCodedError(result);
  return false;
}
