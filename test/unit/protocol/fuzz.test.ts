/**
 * Property-based fuzzing of every decoder that sees bytes from the network or from a file: random bytes, and
 * valid encodings mutated by bit flips, overwrites, truncation, insertion, deletion, splicing and length-field
 * edits. A decoder may accept or refuse; it may never throw, and what it accepts must be well formed (for the wire
 * decoders: it re-encodes to exactly the bytes decoded, so nothing was silently skipped or invented).
 *
 * Runs are counted with `numRuns` in RUNS below: 136,000 generated inputs in total (the describe title says so too).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeHeader, decodePacket } from '../../../src/protocol/codec';
import { AUTH_TAG_BYTES, HEADER_BYTES, MAX_DATAGRAM_BYTES } from '../../../src/protocol/constants';
import { formatLegacyJoin, formatLegacyLeave, formatLegacyText, parseLegacy } from '../../../src/protocol/legacy';
import { decodePayload, encodePayload } from '../../../src/protocol/payload';
import { Flag, KNOWN_FLAGS, isControlType, isMessageType, type MessageType, type Packet } from '../../../src/protocol/types';
import { probeImage } from '../../../src/image/probe';
import { MESSAGE_TYPES, encodePacket, payloadArb, validDatagram } from '../../support/arbitraries';
import { assertBytes, checkDecodeResult, concat } from '../../support/bytes';
import { bmpHeader, gifHeader, jpegHeader, pngHeader, tiffHeader } from '../../support/image-headers';

const RUNS = {
  packetRandom: 15_000,
  packetRandomAfterMagic: 10_000,
  packetRandomHeader: 15_000,
  packetMutated: 25_000,
  packetView: 3_000,
  headerRandom: 5_000,
  headerMutated: 5_000,
  payloadRandomPerType: 2_000, // x 7 message types
  payloadMutatedPerType: 2_000, // x 7 message types
  legacyRandom: 6_000,
  legacyMutated: 6_000,
  probeRandom: 6_000,
  probeMutated: 12_000,
};
const TOTAL_RUNS =
  Object.values(RUNS).reduce((sum, runs) => sum + runs, 0) + (RUNS.payloadRandomPerType + RUNS.payloadMutatedPerType) * (MESSAGE_TYPES.length - 1);

// ---- mutations

type Mutation = { kind: 'flip' | 'set' | 'truncate' | 'insert' | 'delete' | 'u16' | 'splice' | 'fixLength'; at: number; value: number };

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x3a, 0xc0, 0xd8, 0xe0];

const mutation: fc.Arbitrary<Mutation> = fc.record(
  {
    kind: fc.constantFrom('flip', 'flip', 'set', 'set', 'truncate', 'insert', 'delete', 'u16', 'splice', 'fixLength'),
    at: fc.nat(),
    value: fc.nat(),
  },
  { noNullPrototype: true },
) as fc.Arbitrary<Mutation>;

/** Applies `mutations` to a copy of `bytes`; `other` is what a splice takes its tail from. */
function mutate(bytes: Uint8Array, mutations: readonly Mutation[], other: Uint8Array, isDatagram: boolean): Uint8Array {
  let out: Uint8Array = bytes.slice();
  for (const { kind, at, value } of mutations) {
    const index = out.length === 0 ? 0 : at % out.length;
    switch (kind) {
      case 'flip':
        if (out.length > 0) out[index] = (out[index] as number) ^ (1 << (value % 8));
        break;
      case 'set':
        if (out.length > 0) out[index] = value % 2 === 0 ? (INTERESTING[value % INTERESTING.length] as number) : value & 0xff;
        break;
      case 'truncate':
        out = out.slice(0, at % (out.length + 1));
        break;
      case 'insert':
        out = concat(out.subarray(0, index), Uint8Array.of(value & 0xff), out.subarray(index));
        break;
      case 'delete':
        if (out.length > 0) out = concat(out.subarray(0, index), out.subarray(index + 1));
        break;
      case 'u16': {
        // A length field edit: somewhere (the header's body length, for datagrams, half the time), a boundary value.
        const where = isDatagram && value % 2 === 0 ? 6 : index;
        if (where + 2 > out.length) break;
        const candidates = [0, 1, out.length - HEADER_BYTES, out.length - HEADER_BYTES - 1, out.length - HEADER_BYTES + 1, out.length, 0xffff, value & 0xffff];
        new DataView(out.buffer, out.byteOffset).setUint16(where, (candidates[value % candidates.length] as number) & 0xffff);
        break;
      }
      case 'splice':
        out = concat(out.subarray(0, index), other.subarray(other.length === 0 ? 0 : value % other.length));
        break;
      case 'fixLength':
        // Make the header agree with the damaged body, so the body decoders see it instead of the length check.
        if (isDatagram && out.length >= HEADER_BYTES) {
          const tag = (out[4] as number) & Flag.Auth ? AUTH_TAG_BYTES : 0;
          new DataView(out.buffer, out.byteOffset).setUint16(6, Math.max(0, out.length - HEADER_BYTES - tag) & 0xffff);
        }
        break;
    }
  }
  return out;
}

const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

/** Splice partners: a fixed sample of valid datagrams, cheaper than generating a second one per run. */
const DATAGRAM_POOL = fc.sample(validDatagram, { numRuns: 64, seed: 20_240_517 });
const poolDatagram = fc.constantFrom(...DATAGRAM_POOL);

// ---- what an accepted result must look like

function checkPacket(bytes: Uint8Array): void {
  let result: ReturnType<typeof decodePacket> | undefined;
  assert.doesNotThrow(() => (result = decodePacket(bytes)));
  if (!checkDecodeResult(result!)) return;
  const packet = (result as { value: Packet }).value;
  assert.ok(bytes.length >= HEADER_BYTES && bytes.length <= MAX_DATAGRAM_BYTES);
  assertBytes(encodePacket(packet), bytes, 'an accepted datagram re-encodes to itself');
}

function checkHeader(bytes: Uint8Array): void {
  let result: ReturnType<typeof decodeHeader> | undefined;
  assert.doesNotThrow(() => (result = decodeHeader(bytes)));
  if (!checkDecodeResult(result!)) return;
  const { header, bodyStart, bodyEnd } = (result as Extract<ReturnType<typeof decodeHeader>, { ok: true }>).value;
  assert.equal(bodyStart, HEADER_BYTES);
  assert.equal(bodyEnd + (header.flags & Flag.Auth ? AUTH_TAG_BYTES : 0), bytes.length);
  assert.ok(isControlType(header.type) || isMessageType(header.type));
  assert.equal(header.flags & ~KNOWN_FLAGS, 0);
  if (isMessageType(header.type)) {
    assert.ok(header.fragmentIndex < header.fragmentCount && header.seq !== 0 && bodyEnd > bodyStart);
  } else {
    assert.ok(header.fragmentCount === 0 && header.fragmentIndex === 0 && header.seq === 0 && header.messageId === 0n);
  }
}

function checkPayload(type: MessageType, bytes: Uint8Array): void {
  let result: ReturnType<typeof decodePayload> | undefined;
  assert.doesNotThrow(() => (result = decodePayload(type, bytes)));
  if (!checkDecodeResult(result!)) return;
  const payload = (result as Extract<ReturnType<typeof decodePayload>, { ok: true }>).value;
  assert.equal(payload.type, type);
  assertBytes(encodePayload(payload), bytes, 'an accepted payload re-encodes to itself');
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function checkLegacy(bytes: Uint8Array, knownName: string | undefined): void {
  let parsed: ReturnType<typeof parseLegacy>;
  assert.doesNotThrow(() => (parsed = parseLegacy(bytes, knownName)));
  if (parsed === undefined) return;
  assert.ok(parsed.name.length > 0, 'an empty name');
  if (knownName !== undefined) assert.equal(parsed.name, knownName, "a known sender spoke under another's name");
  if (parsed.kind === 'image') {
    assertBytes(concat(utf8(`IMG:${parsed.name}:`), parsed.jpeg), bytes);
    assert.deepEqual([...parsed.jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    return;
  }
  const line = new TextDecoder().decode(bytes).replace(/\r?\n$/, '');
  const formatted =
    parsed.kind === 'text' ? formatLegacyText(parsed.name, parsed.text) : parsed.kind === 'join' ? formatLegacyJoin(parsed.name) : formatLegacyLeave(parsed.name);
  assert.equal(formatted, line, 'what was parsed is not what was sent');
}

const PROBE_FORMATS = new Set(['png', 'jpeg', 'gif', 'bmp', 'tiff']);

function checkProbe(bytes: Uint8Array): void {
  let probe: ReturnType<typeof probeImage>;
  assert.doesNotThrow(() => (probe = probeImage(bytes)));
  if (probe === undefined) return;
  assert.ok(PROBE_FORMATS.has(probe.format));
  assert.ok(Number.isInteger(probe.width) && probe.width >= 1, `width ${probe.width}`);
  assert.ok(Number.isInteger(probe.height) && probe.height >= 1, `height ${probe.height}`);
}

// ---- generators

const randomBytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });
/** Any length up to past the datagram limit, biased to the header-sized region where most checks sit. */
const randomDatagram = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: MAX_DATAGRAM_BYTES + 100 }));

const ALL_TYPES = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x20, 0x21];

/** A header with every field drawn from values near the checks, and a random body whose length it states. */
const randomHeaderDatagram = fc
  .record(
    {
      version: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 255 })),
      type: fc.oneof(fc.constantFrom(...ALL_TYPES), fc.integer({ min: 0, max: 255 })),
      flags: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 255 })),
      reserved: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })),
      memberId: fc.integer({ min: 0, max: 0xffff_ffff }),
      seq: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff_ffff })),
      messageId: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn })),
      fragmentIndex: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
      fragmentCount: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 0xffff })),
      body: fc.uint8Array({ maxLength: 200 }),
      lengthSkew: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 3 })),
    },
    { noNullPrototype: true },
  )
  .map((h) => {
    const tag = h.flags & Flag.Auth ? AUTH_TAG_BYTES : 0;
    const out = new Uint8Array(HEADER_BYTES + h.body.length + tag);
    const view = new DataView(out.buffer);
    view.setUint16(0, 0x5543);
    view.setUint8(2, h.version);
    view.setUint8(3, h.type);
    view.setUint8(4, h.flags);
    view.setUint8(5, h.reserved);
    view.setUint16(6, (h.body.length + h.lengthSkew) & 0xffff);
    view.setUint32(8, h.memberId);
    view.setUint32(12, h.seq);
    view.setBigUint64(16, h.messageId);
    view.setUint16(24, h.fragmentIndex);
    view.setUint16(26, h.fragmentCount);
    out.set(h.body, HEADER_BYTES);
    return out;
  });

const knownName = fc.option(fc.oneof(fc.constantFrom('ann', 'IMG', 'a: b', 'Zoë 🦊', 'ann has joined the chat.'), fc.string({ minLength: 1, maxLength: 6 })), {
  nil: undefined,
});

const JPEG_START = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10);
/** A line a classic client could send, and the name the relay knows for its sender. */
const legacyLine = fc
  .tuple(fc.constantFrom('ann', 'IMG', 'a: b', 'Zoë 🦊'), fc.string({ maxLength: 30 }), fc.constantFrom('text', 'join', 'leave', 'image'), fc.boolean())
  .map(([name, text, kind, newline]) => {
    const end = newline ? '\n' : '';
    if (kind === 'image') return { name, bytes: concat(utf8(`IMG:${name}:`), JPEG_START, utf8(text)) };
    const line = kind === 'text' ? formatLegacyText(name, text) : kind === 'join' ? formatLegacyJoin(name) : formatLegacyLeave(name);
    return { name, bytes: utf8(line + end) };
  });

const imageHeader = fc
  .tuple(fc.constantFrom(pngHeader, jpegHeader, gifHeader, bmpHeader, tiffHeader), fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }), fc.uint8Array({ maxLength: 64 }))
  .map(([header, width, height, tail]) => concat(header(width, height), tail));

describe(`protocol decoders under fuzzing (${TOTAL_RUNS.toLocaleString('en-US')} generated inputs)`, () => {
  it('counts at least 100,000 generated inputs', () => {
    assert.ok(TOTAL_RUNS >= 100_000, String(TOTAL_RUNS));
  });

  describe('decodePacket', () => {
    it('never throws on random bytes', () => {
      fc.assert(fc.property(randomDatagram, checkPacket), { numRuns: RUNS.packetRandom });
    });

    it('never throws on random bytes after a valid magic and version', () => {
      fc.assert(
        fc.property(randomBytes(300), (tail) => checkPacket(concat(Uint8Array.of(0x55, 0x43, 0x01), tail))),
        { numRuns: RUNS.packetRandomAfterMagic },
      );
    });

    it('never throws on random header fields with a random body', () => {
      fc.assert(fc.property(randomHeaderDatagram, checkPacket), { numRuns: RUNS.packetRandomHeader });
    });

    it('never throws on mutated valid datagrams', () => {
      fc.assert(
        fc.property(validDatagram, poolDatagram, mutations, (bytes, other, edits) => checkPacket(mutate(bytes, edits, other, true))),
        { numRuns: RUNS.packetMutated },
      );
    });

    it('decodes a view into a larger buffer exactly as a copy of it', () => {
      fc.assert(
        fc.property(validDatagram, mutations, fc.uint8Array({ minLength: 1, maxLength: 9 }), (bytes, edits, padding) => {
          const damaged = mutate(bytes, edits, bytes, true);
          const buffer = concat(padding, damaged, padding);
          const view = buffer.subarray(padding.length, padding.length + damaged.length);
          assert.deepEqual(decodePacket(view), decodePacket(damaged.slice()));
        }),
        { numRuns: RUNS.packetView },
      );
    });
  });

  describe('decodeHeader', () => {
    it('never throws on random bytes', () => {
      fc.assert(fc.property(fc.oneof(randomDatagram, randomHeaderDatagram), checkHeader), { numRuns: RUNS.headerRandom });
    });

    it('never throws on mutated valid datagrams', () => {
      fc.assert(
        fc.property(validDatagram, poolDatagram, mutations, (bytes, other, edits) => checkHeader(mutate(bytes, edits, other, true))),
        { numRuns: RUNS.headerMutated },
      );
    });
  });

  describe('decodePayload', () => {
    for (const type of MESSAGE_TYPES) {
      it(`never throws on random bytes as message type 0x${type.toString(16)}`, () => {
        fc.assert(fc.property(randomBytes(200), (bytes) => checkPayload(type, bytes)), { numRuns: RUNS.payloadRandomPerType });
      });

      it(`never throws on mutated valid payloads of message type 0x${type.toString(16)}`, () => {
        const valid = payloadArb[type].map(encodePayload);
        // The splice partner is any payload type, so a member list can grow the tail of a text.
        const other = fc.constantFrom(...MESSAGE_TYPES).chain((otherType) => payloadArb[otherType].map(encodePayload));
        fc.assert(
          fc.property(valid, other, mutations, (bytes, partner, edits) => checkPayload(type, mutate(bytes, edits, partner, false))),
          { numRuns: RUNS.payloadMutatedPerType },
        );
      });
    }
  });

  describe('parseLegacy', () => {
    it('never throws on random bytes, whoever sent them', () => {
      fc.assert(
        fc.property(fc.oneof(randomBytes(100), fc.string({ unit: 'grapheme', maxLength: 40 }).map(utf8)), knownName, checkLegacy),
        { numRuns: RUNS.legacyRandom },
      );
    });

    it('never throws on mutated classic lines and images, and never misattributes them', () => {
      fc.assert(
        fc.property(legacyLine, legacyLine, mutations, fc.boolean(), (line, other, edits, known) =>
          checkLegacy(mutate(line.bytes, edits, other.bytes, false), known ? line.name : undefined),
        ),
        { numRuns: RUNS.legacyMutated },
      );
    });
  });

  describe('probeImage', () => {
    it('never throws on random bytes', () => {
      const withMagic = fc.tuple(
        fc.constantFrom(
          Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
          Uint8Array.of(0xff, 0xd8, 0xff),
          Uint8Array.of(0x47, 0x49, 0x46, 0x38, 0x39, 0x61),
          Uint8Array.of(0x42, 0x4d),
          Uint8Array.of(0x49, 0x49, 0x2a, 0x00),
          Uint8Array.of(0x4d, 0x4d, 0x00, 0x2a),
        ),
        randomBytes(120),
      );
      fc.assert(
        fc.property(fc.oneof(randomBytes(120), withMagic.map(([magic, tail]) => concat(magic, tail))), checkProbe),
        { numRuns: RUNS.probeRandom },
      );
    });

    it('never throws on mutated valid image headers', () => {
      fc.assert(
        fc.property(imageHeader, imageHeader, mutations, (bytes, other, edits) => checkProbe(mutate(bytes, edits, other, false))),
        { numRuns: RUNS.probeMutated },
      );
    });

    it('reads the dimensions of every valid header it is given', () => {
      fc.assert(
        fc.property(fc.constantFrom(pngHeader, jpegHeader, gifHeader, bmpHeader, tiffHeader), fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }), (header, width, height) => {
          const probe = probeImage(header(width, height));
          assert.equal(probe?.width, width);
          assert.equal(probe?.height, height);
        }),
        { numRuns: 200 },
      );
    });
  });
});
