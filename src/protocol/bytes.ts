/**
 * Bounds-checked big-endian reading and writing over byte arrays. The reader throws `DecodeFailure`, which only
 * the decoders in this folder catch: nothing outside `src/protocol` ever sees a throw from untrusted bytes.
 */

export class DecodeFailure extends Error {
  constructor(
    readonly code: DecodeErrorCode,
    detail: string,
  ) {
    super(detail);
  }
}

/** Why bytes were rejected. Stable strings: they appear in logs and counters. */
export type DecodeErrorCode =
  | 'UDPCHAT_ERR_TRUNCATED'
  | 'UDPCHAT_ERR_BAD_MAGIC'
  | 'UDPCHAT_ERR_UNSUPPORTED_VERSION'
  | 'UDPCHAT_ERR_UNKNOWN_TYPE'
  | 'UDPCHAT_ERR_BAD_FLAGS'
  | 'UDPCHAT_ERR_BAD_LENGTH'
  | 'UDPCHAT_ERR_BAD_FRAGMENT'
  | 'UDPCHAT_ERR_BAD_FIELD'
  | 'UDPCHAT_ERR_BAD_STRING'
  | 'UDPCHAT_ERR_TRAILING_BYTES'
  | 'UDPCHAT_ERR_TOO_LARGE';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function utf8ByteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export class ByteReader {
  #view: DataView;
  #offset: number;
  readonly #end: number;

  constructor(
    readonly source: Uint8Array,
    start = 0,
    end = source.length,
  ) {
    this.#view = new DataView(source.buffer, source.byteOffset, source.byteLength);
    this.#offset = start;
    this.#end = end;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  #need(count: number, what: string): void {
    if (this.#offset + count > this.#end) {
      throw new DecodeFailure('UDPCHAT_ERR_TRUNCATED', `${what} needs ${count} bytes, ${this.remaining} left`);
    }
  }

  u8(what = 'u8'): number {
    this.#need(1, what);
    return this.#view.getUint8(this.#offset++);
  }

  u16(what = 'u16'): number {
    this.#need(2, what);
    const value = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return value;
  }

  u32(what = 'u32'): number {
    this.#need(4, what);
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  u64(what = 'u64'): bigint {
    this.#need(8, what);
    const value = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return value;
  }

  /** A millisecond timestamp stored as u64; rejected when it cannot be a Number exactly. */
  timestamp(what = 'timestamp'): number {
    const value = this.u64(what);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `${what} out of range`);
    }
    return Number(value);
  }

  bytes(count: number, what = 'bytes'): Uint8Array {
    this.#need(count, what);
    const slice = this.source.subarray(this.#offset, this.#offset + count);
    this.#offset += count;
    return slice;
  }

  /** Everything up to the end of this reader's range. */
  rest(): Uint8Array {
    return this.bytes(this.remaining, 'rest');
  }

  /** UTF-8 text prefixed by a u8 length, at most `maxBytes` long. */
  str8(maxBytes: number, what: string): string {
    const length = this.u8(`${what} length`);
    if (length > maxBytes) throw new DecodeFailure('UDPCHAT_ERR_BAD_STRING', `${what} longer than ${maxBytes} bytes`);
    return decodeUtf8(this.bytes(length, what), what);
  }

  /** UTF-8 text prefixed by a u16 length, at most `maxBytes` long. */
  str16(maxBytes: number, what: string): string {
    const length = this.u16(`${what} length`);
    if (length > maxBytes) throw new DecodeFailure('UDPCHAT_ERR_BAD_STRING', `${what} longer than ${maxBytes} bytes`);
    return decodeUtf8(this.bytes(length, what), what);
  }

  /** Rejects bytes left over after a body that must be consumed exactly. */
  end(what: string): void {
    if (this.remaining !== 0) {
      throw new DecodeFailure('UDPCHAT_ERR_TRAILING_BYTES', `${this.remaining} unexpected bytes after ${what}`);
    }
  }
}

export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new DecodeFailure('UDPCHAT_ERR_BAD_STRING', `${what} is not valid UTF-8`);
  }
}

/** A growable writer; `finish()` returns exactly the bytes written. */
export class ByteWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#buffer = new Uint8Array(initialCapacity);
    this.#view = new DataView(this.#buffer.buffer);
  }

  get length(): number {
    return this.#length;
  }

  #reserve(count: number): number {
    const at = this.#length;
    const needed = at + count;
    if (needed > this.#buffer.length) {
      let capacity = this.#buffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#length = needed;
    return at;
  }

  u8(value: number): this {
    const at = this.#reserve(1); // before reading #view: reserving may replace it
    this.#view.setUint8(at, value);
    return this;
  }

  u16(value: number): this {
    const at = this.#reserve(2); // before reading #view: reserving may replace it
    this.#view.setUint16(at, value);
    return this;
  }

  u32(value: number): this {
    const at = this.#reserve(4); // before reading #view: reserving may replace it
    this.#view.setUint32(at, value);
    return this;
  }

  u64(value: bigint): this {
    const at = this.#reserve(8); // before reading #view: reserving may replace it
    this.#view.setBigUint64(at, value);
    return this;
  }

  timestamp(ms: number): this {
    return this.u64(BigInt(Math.max(0, Math.floor(ms))));
  }

  bytes(value: Uint8Array): this {
    const at = this.#reserve(value.length); // before reading #buffer: reserving may replace it
    this.#buffer.set(value, at);
    return this;
  }

  /** Writes a u8-length-prefixed UTF-8 string; the caller has validated its length. */
  str8(value: string): this {
    const encoded = utf8Bytes(value);
    if (encoded.length > 0xff) throw new RangeError('str8 longer than 255 bytes');
    return this.u8(encoded.length).bytes(encoded);
  }

  /** Writes a u16-length-prefixed UTF-8 string; the caller has validated its length. */
  str16(value: string): this {
    const encoded = utf8Bytes(value);
    if (encoded.length > 0xffff) throw new RangeError('str16 longer than 65,535 bytes');
    return this.u16(encoded.length).bytes(encoded);
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}
