import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_FRAGMENTS, MAX_FRAGMENT_BYTES } from '../../../src/protocol/constants';
import {
  FRAGMENT_OVERHEAD_BYTES,
  MESSAGE_OVERHEAD_BYTES,
  reassemblyCost,
  Reassembler,
  splitPayload,
  type FragmentIn,
  type ReassemblyLimits,
  type ReassemblyResult,
} from '../../../src/protocol/fragment';
import { Flag, PacketType, type MessageType } from '../../../src/protocol/types';
import { assertBytes, concat } from '../../support/bytes';

const STALE_MS = 1000;

function limits(overrides: Partial<ReassemblyLimits> = {}): ReassemblyLimits {
  return {
    maxMessageBytes: (type: MessageType) => (type === PacketType.Image ? 10_000 : 1000),
    maxPendingBytes: 5000,
    maxPendingMessages: 3,
    staleAfterMs: STALE_MS,
    ...overrides,
  };
}

/** The fragments of `payload` as a peer would send them. */
function fragmentsOf(payload: Uint8Array, chunkBytes: number, fields: Partial<FragmentIn> = {}): FragmentIn[] {
  const chunks = splitPayload(payload, chunkBytes);
  return chunks.map((chunk, fragmentIndex) => ({
    origin: 1,
    messageId: 100n,
    type: PacketType.Text,
    flags: Flag.Reliable,
    fragmentIndex,
    fragmentCount: chunks.length,
    chunk,
    ...fields,
  }));
}

function filled(length: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

function expectComplete(result: ReassemblyResult): Uint8Array {
  if (result.status !== 'complete') assert.fail(`expected complete, got ${JSON.stringify(result, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  return result.payload;
}

describe('protocol/fragment', () => {
  describe('splitPayload', () => {
    it('puts a 1-byte payload in one fragment', () => {
      const chunks = splitPayload(Uint8Array.of(7), 100);
      assert.equal(chunks.length, 1);
      assertBytes(chunks[0] as Uint8Array, Uint8Array.of(7));
    });

    it('cuts an exact multiple of the chunk size into full chunks only', () => {
      const chunks = splitPayload(filled(3000), 1000);
      assert.deepEqual(chunks.map((chunk) => chunk.length), [1000, 1000, 1000]);
    });

    it('makes every chunk but the last exactly the chunk size', () => {
      const chunks = splitPayload(filled(2501), 1000);
      assert.deepEqual(chunks.map((chunk) => chunk.length), [1000, 1000, 501]);
    });

    it('cuts a 10 MB payload into full-size fragments that add up to it', () => {
      const payload = filled(10 * 1024 * 1024);
      const chunks = splitPayload(payload, MAX_FRAGMENT_BYTES);
      assert.equal(chunks.length, Math.ceil(payload.length / MAX_FRAGMENT_BYTES));
      for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.length, MAX_FRAGMENT_BYTES);
      assert.ok(chunks.length <= MAX_FRAGMENTS);
      assert.ok(Buffer.concat(chunks).equals(payload));
    });

    it('makes every chunk but the last full, for any payload and chunk size', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 700 }), (length, chunkBytes) => {
          const payload = filled(length);
          const chunks = splitPayload(payload, chunkBytes);
          assert.equal(chunks.length, Math.ceil(length / chunkBytes));
          for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.length, chunkBytes);
          const last = chunks.at(-1) as Uint8Array;
          assert.ok(last.length >= 1 && last.length <= chunkBytes);
          assert.ok(Buffer.concat(chunks).equals(payload));
        }),
        { numRuns: 300 },
      );
    });

    it('allows exactly 65,535 fragments and refuses one more', () => {
      assert.equal(splitPayload(new Uint8Array(MAX_FRAGMENTS), 1).length, MAX_FRAGMENTS);
      assert.throws(() => splitPayload(new Uint8Array(MAX_FRAGMENTS + 1), 1), RangeError);
      assert.throws(() => splitPayload(new Uint8Array(MAX_FRAGMENTS * 10 + 1), 10), RangeError);
    });

    it('refuses an empty payload and a chunk size that is not positive', () => {
      assert.throws(() => splitPayload(new Uint8Array(0), 10), RangeError);
      assert.throws(() => splitPayload(Uint8Array.of(1), 0), RangeError);
      assert.throws(() => splitPayload(Uint8Array.of(1), -5), RangeError);
    });
  });

  describe('Reassembler', () => {
    it('completes a single-fragment message at once without holding it', () => {
      const reassembler = new Reassembler(limits());
      const [only] = fragmentsOf(filled(10), 100);
      const result = reassembler.add(only as FragmentIn, 0);
      assertBytes(expectComplete(result), filled(10));
      assert.equal(reassembler.pendingMessages, 0);
      assert.equal(reassembler.pendingBytes, 0);
    });

    it('reassembles fragments arriving in order', () => {
      const reassembler = new Reassembler(limits());
      const fragments = fragmentsOf(filled(950), 100);
      const results = fragments.map((fragment) => reassembler.add(fragment, 0));
      assert.deepEqual(results.slice(0, -1).map((result) => result.status), Array(9).fill('partial'));
      assertBytes(expectComplete(results.at(-1) as ReassemblyResult), filled(950));
      assert.equal(reassembler.pendingMessages, 0);
      assert.equal(reassembler.pendingBytes, 0);
    });

    it('reports progress on a partial message', () => {
      const reassembler = new Reassembler(limits());
      const [first, second] = fragmentsOf(filled(250), 100);
      reassembler.add(second as FragmentIn, 0);
      const result = reassembler.add(first as FragmentIn, 0);
      assert.equal(result.status, 'partial');
      assert.deepEqual(result.status === 'partial' && result.info, {
        origin: 1,
        messageId: 100n,
        type: PacketType.Text,
        flags: Flag.Reliable,
        receivedFragments: 2,
        fragmentCount: 3,
        receivedBytes: 200,
      });
      assert.equal(reassembler.pendingBytes, reassemblyCost(200, 2));
    });

    it('reassembles any payload exactly, whatever order its fragments arrive in', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 1, maxLength: 3000 }),
          fc.integer({ min: 1, max: 400 }),
          fc.array(fc.nat(), { minLength: 1, maxLength: 3000 }),
          (payload, chunkBytes, order) => {
            const reassembler = new Reassembler(limits({ maxMessageBytes: () => 3000 }));
            const fragments = fragmentsOf(payload, chunkBytes);
            // Fisher-Yates driven by the generated numbers, so fast-check can shrink the order.
            for (let i = fragments.length - 1; i > 0; i--) {
              const j = (order[i % order.length] as number) % (i + 1);
              [fragments[i], fragments[j]] = [fragments[j] as FragmentIn, fragments[i] as FragmentIn];
            }
            const results = fragments.map((fragment, at) => reassembler.add(fragment, at));
            for (const result of results.slice(0, -1)) assert.equal(result.status, 'partial');
            assertBytes(expectComplete(results.at(-1) as ReassemblyResult), payload);
            assert.equal(reassembler.pendingBytes, 0);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('keeps interleaved messages apart by origin and message id', () => {
      const reassembler = new Reassembler(limits());
      // The same message id from two origins is two messages: ids are unique per origin only.
      const a = fragmentsOf(filled(300, 1), 100, { origin: 1, messageId: 5n });
      const b = fragmentsOf(filled(300, 2), 100, { origin: 2, messageId: 5n });
      const c = fragmentsOf(filled(300, 3), 100, { origin: 1, messageId: 6n });
      const interleaved = [a[0], b[2], c[1], a[1], b[0], c[0], b[1], a[2], c[2]] as FragmentIn[];
      const done = interleaved.map((fragment) => reassembler.add(fragment, 0)).filter((result) => result.status === 'complete');
      assert.equal(done.length, 3);
      assertBytes(expectComplete(done[0] as ReassemblyResult), filled(300, 2));
      assertBytes(expectComplete(done[1] as ReassemblyResult), filled(300, 1));
      assertBytes(expectComplete(done[2] as ReassemblyResult), filled(300, 3));
    });

    it('copies each chunk, so a reused receive buffer does not corrupt the message', () => {
      const reassembler = new Reassembler(limits());
      const source = filled(200);
      const [first, second] = fragmentsOf(source.slice(), 100);
      reassembler.add(first as FragmentIn, 0);
      (first as FragmentIn).chunk.fill(0);
      assertBytes(expectComplete(reassembler.add(second as FragmentIn, 0)), source);
    });

    it('reports a duplicate fragment without counting its bytes twice', () => {
      const reassembler = new Reassembler(limits());
      const [first, second] = fragmentsOf(filled(300), 100);
      reassembler.add(first as FragmentIn, 0);
      assert.deepEqual(reassembler.add(first as FragmentIn, 0), { status: 'duplicate' });
      assert.equal(reassembler.pendingBytes, reassemblyCost(100, 1));
      assert.equal(reassembler.add(second as FragmentIn, 0).status, 'partial');
    });

    describe('inconsistent fragments', () => {
      const cases: Record<string, Partial<FragmentIn>> = {
        'a different fragment count': { fragmentCount: 4 },
        'a different type': { type: PacketType.Image },
        'different flags': { flags: Flag.Reliable | Flag.Encrypted },
      };
      for (const [what, change] of Object.entries(cases)) {
        it(`drops a partial message when a fragment of it has ${what}`, () => {
          const reassembler = new Reassembler(limits());
          const [first, second] = fragmentsOf(filled(300), 100);
          reassembler.add(first as FragmentIn, 0);
          const result = reassembler.add({ ...(second as FragmentIn), ...change }, 0);
          assert.equal(result.status, 'rejected');
          assert.equal(result.status === 'rejected' && result.reason, 'inconsistent');
          assert.equal(result.status === 'rejected' && result.info?.receivedFragments, 1);
          assert.equal(reassembler.pendingMessages, 0);
          assert.equal(reassembler.pendingBytes, 0);
        });
      }

      it('rejects a fragment whose index is not below its count, which would leave a hole', () => {
        const reassembler = new Reassembler(limits());
        const [first] = fragmentsOf(filled(200), 100);
        reassembler.add(first as FragmentIn, 0);
        const result = reassembler.add({ ...(first as FragmentIn), fragmentIndex: 2 }, 0);
        assert.equal(result.status === 'rejected' && result.reason, 'inconsistent');
      });

      it('rejects a fragment count of 0 instead of completing an empty message', () => {
        const reassembler = new Reassembler(limits());
        const result = reassembler.add({ ...(fragmentsOf(filled(10), 100)[0] as FragmentIn), fragmentCount: 0 }, 0);
        assert.equal(result.status === 'rejected' && result.reason, 'inconsistent');
        assert.equal(reassembler.pendingMessages, 0);
      });
    });

    describe('limits', () => {
      it('rejects a single-fragment message over its type limit', () => {
        const reassembler = new Reassembler(limits());
        const [only] = fragmentsOf(filled(1001), 2000);
        assert.deepEqual(reassembler.add(only as FragmentIn, 0), { status: 'rejected', reason: 'too-large' });
      });

      it('drops a message as soon as its fragments exceed its type limit', () => {
        const reassembler = new Reassembler(limits());
        const fragments = fragmentsOf(filled(1200), 400); // Text: 1,000 bytes at most
        assert.equal(reassembler.add(fragments[0] as FragmentIn, 0).status, 'partial');
        assert.equal(reassembler.add(fragments[1] as FragmentIn, 0).status, 'partial');
        const result = reassembler.add(fragments[2] as FragmentIn, 0);
        assert.equal(result.status === 'rejected' && result.reason, 'too-large');
        assert.equal(reassembler.pendingMessages, 0);
        assert.equal(reassembler.pendingBytes, 0);
      });

      it('applies each type its own limit', () => {
        const reassembler = new Reassembler(limits());
        const fragments = fragmentsOf(filled(1200), 400, { type: PacketType.Image });
        const results = fragments.map((fragment) => reassembler.add(fragment, 0));
        assertBytes(expectComplete(results[2] as ReassemblyResult), filled(1200));
      });

      it('accepts a message of exactly its type limit', () => {
        const reassembler = new Reassembler(limits());
        const results = fragmentsOf(filled(1000), 300).map((fragment) => reassembler.add(fragment, 0));
        assertBytes(expectComplete(results.at(-1) as ReassemblyResult), filled(1000));
      });

      it('drops the message whose fragment would exceed the pending byte cap, keeping the others', () => {
        // Room for the big message's four fragments and the other's first, not for its second.
        const reassembler = new Reassembler(limits({ maxPendingBytes: reassemblyCost(4000, 4) + reassemblyCost(900, 1) + 500 }));
        const big = fragmentsOf(filled(9000), 1000, { type: PacketType.Image, messageId: 1n });
        for (const fragment of big.slice(0, 4)) reassembler.add(fragment, 0);
        assert.equal(reassembler.pendingBytes, reassemblyCost(4000, 4));
        const other = fragmentsOf(filled(2000), 900, { type: PacketType.Image, messageId: 2n });
        assert.equal(reassembler.add(other[0] as FragmentIn, 0).status, 'partial');
        const result = reassembler.add(other[1] as FragmentIn, 0);
        assert.equal(result.status === 'rejected' && result.reason, 'over-capacity');
        assert.equal(result.status === 'rejected' && result.info?.messageId, 2n);
        assert.equal(reassembler.pendingMessages, 1);
        assert.equal(reassembler.pendingBytes, reassemblyCost(4000, 4));
      });

      it('counts what each held fragment costs, so a flood of 1-byte fragments stays within the byte cap', () => {
        const reassembler = new Reassembler(limits({ maxPendingBytes: 5000 }));
        const flood = fragmentsOf(filled(1000), 1, { messageId: 7n });
        let accepted = 0;
        let result: ReassemblyResult | undefined;
        for (const fragment of flood) {
          result = reassembler.add(fragment, 0);
          if (result.status === 'rejected') break;
          accepted++;
          assert.ok(reassembler.pendingBytes <= 5000, `pending bytes ${reassembler.pendingBytes}`);
        }
        // Some fifty bytes of payload, far below 5,000: only the bookkeeping fills the cap.
        assert.equal(accepted, Math.floor((5000 - MESSAGE_OVERHEAD_BYTES) / (1 + FRAGMENT_OVERHEAD_BYTES)));
        assert.equal(result?.status === 'rejected' && result.reason, 'over-capacity');
        assert.equal(reassembler.pendingBytes, 0, 'the refused message is dropped whole');
      });

      it('refuses to start a partial message when even its bookkeeping does not fit', () => {
        const reassembler = new Reassembler(limits({ maxPendingBytes: reassemblyCost(100, 1) + MESSAGE_OVERHEAD_BYTES - 1 }));
        assert.equal(reassembler.add(fragmentsOf(filled(300), 100, { messageId: 1n })[0] as FragmentIn, 0).status, 'partial');
        assert.deepEqual(reassembler.add(fragmentsOf(filled(300), 100, { messageId: 2n })[0] as FragmentIn, 0), { status: 'rejected', reason: 'over-capacity' });
      });

      it('refuses a new partial message beyond the pending message cap, keeping the others', () => {
        const reassembler = new Reassembler(limits());
        const messages = [1n, 2n, 3n, 4n].map((messageId) => fragmentsOf(filled(200), 100, { messageId }));
        for (const message of messages.slice(0, 3)) assert.equal(reassembler.add(message[0] as FragmentIn, 0).status, 'partial');
        assert.deepEqual(reassembler.add((messages[3] as FragmentIn[])[0] as FragmentIn, 0), { status: 'rejected', reason: 'over-capacity' });
        assert.equal(reassembler.pendingMessages, 3);
        assert.equal(reassembler.add((messages[0] as FragmentIn[])[1] as FragmentIn, 0).status, 'complete');
      });

      it('still completes single-fragment messages when the pending caps are reached', () => {
        const reassembler = new Reassembler(limits({ maxPendingMessages: 1 }));
        reassembler.add((fragmentsOf(filled(200), 100, { messageId: 1n })[0]) as FragmentIn, 0);
        const [only] = fragmentsOf(filled(50), 100, { messageId: 2n });
        assert.equal(reassembler.add(only as FragmentIn, 0).status, 'complete');
      });

      it('never holds more than its caps, whatever fragments arrive', () => {
        const fragment = fc.record(
          {
            origin: fc.integer({ min: 1, max: 3 }),
            messageId: fc.bigInt({ min: 1n, max: 4n }),
            type: fc.constantFrom(PacketType.Text, PacketType.Image),
            flags: fc.constantFrom(Flag.Reliable, Flag.Reliable | Flag.Encrypted),
            fragmentCount: fc.integer({ min: 1, max: 6 }),
            fragmentIndex: fc.integer({ min: 0, max: 6 }),
            chunk: fc.integer({ min: 1, max: 900 }).map((length) => new Uint8Array(length)),
            at: fc.integer({ min: 0, max: 3000 }),
          },
          { noNullPrototype: true },
        );
        fc.assert(
          fc.property(fc.array(fragment, { maxLength: 60 }), (fragments) => {
            const reassembler = new Reassembler(limits());
            let now = 0;
            for (const { at, ...input } of fragments) {
              now += at;
              reassembler.expire(now);
              const result = reassembler.add(input, now);
              if (result.status === 'complete') {
                assert.ok(input.fragmentIndex < input.fragmentCount);
                assert.ok(result.payload.length <= (input.type === PacketType.Image ? 10_000 : 1000));
              }
              assert.ok(reassembler.pendingBytes >= 0 && reassembler.pendingBytes <= 5000, `pending bytes ${reassembler.pendingBytes}`);
              assert.ok(reassembler.pendingMessages <= 3);
              assert.equal(reassembler.pendingMessages === 0, reassembler.pendingBytes === 0);
            }
          }),
          { numRuns: 500 },
        );
      });
    });

    describe('expiry', () => {
      it('keeps a partial message until staleAfterMs and drops it exactly then', () => {
        const reassembler = new Reassembler(limits());
        const [first] = fragmentsOf(filled(300), 100);
        reassembler.add(first as FragmentIn, 5000);
        assert.deepEqual(reassembler.expire(5000 + STALE_MS - 1), []);
        assert.equal(reassembler.pendingMessages, 1);
        const expired = reassembler.expire(5000 + STALE_MS);
        assert.equal(expired.length, 1);
        assert.deepEqual(expired[0], {
          origin: 1,
          messageId: 100n,
          type: PacketType.Text,
          flags: Flag.Reliable,
          receivedFragments: 1,
          fragmentCount: 3,
          receivedBytes: 100,
        });
        assert.equal(reassembler.pendingMessages, 0);
        assert.equal(reassembler.pendingBytes, 0);
      });

      it('counts staleness from the last fragment received', () => {
        const reassembler = new Reassembler(limits());
        const [first, second] = fragmentsOf(filled(300), 100);
        reassembler.add(first as FragmentIn, 0);
        reassembler.add(second as FragmentIn, 800);
        assert.deepEqual(reassembler.expire(STALE_MS), []);
        assert.equal(reassembler.expire(800 + STALE_MS).length, 1);
      });

      it('does not count a duplicate as progress', () => {
        const reassembler = new Reassembler(limits());
        const [first] = fragmentsOf(filled(300), 100);
        reassembler.add(first as FragmentIn, 0);
        reassembler.add(first as FragmentIn, 900);
        assert.equal(reassembler.nextExpiry(), STALE_MS);
      });

      it('expires only the messages that went stale', () => {
        const reassembler = new Reassembler(limits());
        reassembler.add(fragmentsOf(filled(300), 100, { messageId: 1n })[0] as FragmentIn, 0);
        reassembler.add(fragmentsOf(filled(300), 100, { messageId: 2n })[0] as FragmentIn, 500);
        assert.deepEqual(reassembler.expire(STALE_MS).map((info) => info.messageId), [1n]);
        assert.equal(reassembler.pendingMessages, 1);
        assert.equal(reassembler.pendingBytes, reassemblyCost(100, 1));
      });

      it('says when the next partial message goes stale, or undefined when none is pending', () => {
        const reassembler = new Reassembler(limits());
        assert.equal(reassembler.nextExpiry(), undefined);
        reassembler.add(fragmentsOf(filled(300), 100, { messageId: 1n })[0] as FragmentIn, 700);
        reassembler.add(fragmentsOf(filled(300), 100, { messageId: 2n })[0] as FragmentIn, 300);
        assert.equal(reassembler.nextExpiry(), 300 + STALE_MS);
        reassembler.expire(300 + STALE_MS);
        assert.equal(reassembler.nextExpiry(), 700 + STALE_MS);
        reassembler.expire(700 + STALE_MS);
        assert.equal(reassembler.nextExpiry(), undefined);
      });

      it('does not report a single-fragment message as pending', () => {
        const reassembler = new Reassembler(limits());
        reassembler.add(fragmentsOf(filled(10), 100)[0] as FragmentIn, 0);
        assert.equal(reassembler.nextExpiry(), undefined);
      });
    });

    describe('dropMessage', () => {
      it('drops every partial copy of a message id, whatever its origin, and only those', () => {
        const reassembler = new Reassembler(limits());
        reassembler.add(fragmentsOf(filled(300), 100, { origin: 1, messageId: 5n })[0] as FragmentIn, 0);
        reassembler.add(fragmentsOf(filled(300), 100, { origin: 2, messageId: 5n })[1] as FragmentIn, 0);
        reassembler.add(fragmentsOf(filled(300), 100, { origin: 1, messageId: 6n })[0] as FragmentIn, 0);
        assert.deepEqual(reassembler.dropMessage(5n).map((info) => info.origin), [1, 2]);
        assert.equal(reassembler.pendingMessages, 1);
        assert.equal(reassembler.pendingBytes, reassemblyCost(100, 1));
      });
    });

    describe('dropOrigin', () => {
      it('drops and returns every partial message of an origin, and only those', () => {
        const reassembler = new Reassembler(limits());
        reassembler.add(fragmentsOf(filled(300), 100, { origin: 1, messageId: 1n })[0] as FragmentIn, 0);
        reassembler.add(fragmentsOf(filled(300), 100, { origin: 2, messageId: 1n })[0] as FragmentIn, 0);
        reassembler.add(fragmentsOf(filled(300), 100, { origin: 1, messageId: 2n })[1] as FragmentIn, 0);
        const dropped = reassembler.dropOrigin(1);
        assert.deepEqual(dropped.map((info) => [info.origin, info.messageId]), [[1, 1n], [1, 2n]]);
        assert.equal(reassembler.pendingMessages, 1);
        assert.equal(reassembler.pendingBytes, reassemblyCost(100, 1));
        assert.deepEqual(reassembler.dropOrigin(1), []);
      });

      it('lets a message of the dropped origin start again from scratch', () => {
        const reassembler = new Reassembler(limits());
        const fragments = fragmentsOf(filled(200), 100);
        reassembler.add(fragments[0] as FragmentIn, 0);
        reassembler.dropOrigin(1);
        assert.equal(reassembler.add(fragments[1] as FragmentIn, 0).status, 'partial');
        assertBytes(expectComplete(reassembler.add(fragments[0] as FragmentIn, 0)), concat(filled(200)));
      });
    });
  });
});
