import assert from 'node:assert/strict';
import { InboundPipeline, type InboundEvent } from '../../../src/client/inbound';
import { fragmentsOf } from '../../../src/client/outbox';
import { Roster } from '../../../src/client/roster';
import { encodePayload, ImageFormat, type MessagePayload } from '../../../src/protocol/payload';
import { ContentOpener, ContentSealer, deriveRoomKeys, withFreshMemberKey, type RoomKeys } from '../../../src/protocol/room-crypto';
import { Flag, PacketType, type MessageFragment } from '../../../src/protocol/types';

const T0 = 1_000;
const ALICE = 1;
const BOB = 7;
const MALLORY = 66;
/** Bob again, rejoined under other member ids (the same process, so the same member key). */
const BOB_REJOINED = [42, 99];
const STALE_MS = 30_000;

/** Bob's keys (the pipeline's own room keys), alice's and mallory's: one room key, a member key each. */
let keys: RoomKeys;
let aliceKeys: RoomKeys;
let malloryKeys: RoomKeys;
let otherKeys: RoomKeys;

function pipeline(overrides: Partial<ConstructorParameters<typeof InboundPipeline>[0]> = {}): InboundPipeline {
  const roster = new Roster();
  roster.replace(
    [
      { id: ALICE, name: 'alice', flags: 0, signingKey: aliceKeys.memberPublicKey },
      { id: BOB, name: 'bob', flags: 0, signingKey: keys.memberPublicKey },
      ...BOB_REJOINED.map((id) => ({ id, name: 'bob', flags: 0, signingKey: keys.memberPublicKey })),
      { id: MALLORY, name: 'mallory', flags: 0, signingKey: malloryKeys.memberPublicKey },
    ],
    false,
    T0,
  );
  return new InboundPipeline({
    room: 'general',
    roster,
    maxTextBytes: () => 16 * 1024,
    maxImageBytes: () => 10 * 1024 * 1024,
    incompleteAfterMs: STALE_MS,
    log: () => {},
    ...overrides,
  });
}

type Chat = Extract<MessagePayload, { type: typeof PacketType.Text | typeof PacketType.Image }>;

const text = (body: string, sender = 'bob'): Chat => ({ type: PacketType.Text, sentAt: 123, sender, text: body });
const image = (width: number, height: number, bytes = 4000): Chat => ({
  type: PacketType.Image,
  sentAt: 123,
  sender: 'bob',
  width,
  height,
  format: ImageFormat.Jpeg,
  data: new Uint8Array(bytes).fill(9),
});

/** The fragments of a message as the relay forwards them from `origin`, sealed when a sealer is given. */
function wire(payload: Chat, messageId: bigint, options: { origin?: number; sealer?: ContentSealer } = {}): MessageFragment[] {
  const plain = encodePayload(payload);
  const bytes = options.sealer ? options.sealer.seal(payload.type, messageId, plain) : plain;
  return fragmentsOf(payload.type, bytes, messageId, options.sealer ? Flag.Encrypted : 0).map((fragment) => ({ ...fragment, memberId: options.origin ?? BOB }));
}

function feed(inbound: InboundPipeline, fragments: MessageFragment[], now = T0): InboundEvent[] {
  return fragments.flatMap((fragment) => inbound.receive(fragment, now));
}

const kinds = (events: InboundEvent[]): string[] => events.map((event) => event.kind);
const drops = (events: InboundEvent[]) => events.flatMap((event) => (event.kind === 'dropped' ? [event.drop] : []));
const problems = (events: InboundEvent[]) => events.flatMap((event) => (event.kind === 'problem' ? [event.problem.code] : []));

describe('client/inbound', () => {
  before(async () => {
    keys = await deriveRoomKeys('correct horse', 'general', new Uint8Array(16));
    aliceKeys = withFreshMemberKey(keys);
    malloryKeys = withFreshMemberKey(keys);
    // Bob's own member key, with a passphrase other than the room's.
    otherKeys = { ...(await deriveRoomKeys('wrong horse', 'general', new Uint8Array(16))), memberKey: keys.memberKey, memberPublicKey: keys.memberPublicKey };
  });

  it('turns a text into a message from the member the relay names', () => {
    const events = feed(pipeline(), wire(text('hi'), 1n));
    assert.deepEqual(kinds(events), ['message']);
    const [event] = events;
    assert.ok(event?.kind === 'message');
    assert.equal(event.message.text, 'hi');
    assert.equal(event.message.from, 'bob');
    assert.equal(event.message.id, '0000000000000001');
  });

  it('announces a large image as it arrives, then delivers it', () => {
    const events = feed(pipeline(), wire(image(640, 480, 50_000), 2n));
    assert.deepEqual([...new Set(kinds(events))], ['incoming', 'image']);
    assert.ok(kinds(events).filter((kind) => kind === 'incoming').length <= 20);
  });

  describe('drops, each reported once as incomingDropped', () => {
    it('drops a message seen before as a duplicate, even when a rejoined sender resends it under a new id', () => {
      const inbound = pipeline();
      feed(inbound, wire(text('once'), 3n));
      const again = feed(inbound, wire(text('once'), 3n, { origin: 99 }));
      assert.deepEqual(drops(again), [{ id: '0000000000000003', fromId: 99, reason: 'duplicate' }]);
      assert.deepEqual(kinds(again), ['dropped']);
    });

    it('drops every fragment of a resent image at once, with one drop and no progress', () => {
      const inbound = pipeline();
      feed(inbound, wire(image(640, 480, 20_000), 4n));
      const again = feed(inbound, wire(image(640, 480, 20_000), 4n, { origin: 99 }));
      assert.deepEqual(kinds(again), ['dropped']);
      assert.equal(drops(again)[0]?.reason, 'duplicate');
    });

    it('closes a half-received copy once the same message arrived whole from another origin', () => {
      const inbound = pipeline();
      const first = wire(image(640, 480, 20_000), 5n);
      assert.ok(kinds(feed(inbound, first.slice(0, 3))).includes('incoming'));
      const whole = feed(inbound, wire(image(640, 480, 20_000), 5n, { origin: 42 }));
      assert.deepEqual(drops(whole), [{ id: '0000000000000005', fromId: BOB, reason: 'duplicate' }]);
      assert.ok(kinds(whole).includes('image'));
      assert.deepEqual(inbound.expire(T0 + STALE_MS), [], 'the dropped copy would have been reported incomplete later');
    });

    it('drops a replayed sealed message as a duplicate, even once its id is forgotten', () => {
      // Two pipelines share one opener: the second has never seen the id, only the opener's replay window can tell.
      const opener = new ContentOpener(keys);
      const first = pipeline();
      const forgetful = pipeline();
      first.setOpener(opener);
      forgetful.setOpener(opener);
      const sealed = wire(text('secret'), 6n, { sealer: new ContentSealer(keys) });
      assert.deepEqual(kinds(feed(first, sealed)), ['message']);
      assert.deepEqual(drops(feed(forgetful, sealed)), [{ id: '0000000000000006', fromId: BOB, reason: 'duplicate' }]);
    });

    it('drops a message sealed with another passphrase as unreadable, and says the passphrase is wrong', () => {
      const inbound = pipeline();
      inbound.setOpener(new ContentOpener(keys));
      const events = feed(inbound, wire(text('other room key'), 7n, { sealer: new ContentSealer(otherKeys) }));
      assert.deepEqual(drops(events), [{ id: '0000000000000007', fromId: BOB, reason: 'unreadable' }]);
      assert.deepEqual(problems(events), ['wrong-passphrase']);
    });

    it('drops an unsealed message in a sealed room as unreadable', () => {
      const inbound = pipeline();
      inbound.setOpener(new ContentOpener(keys));
      const events = feed(inbound, wire(text('plain'), 8n));
      assert.deepEqual(drops(events), [{ id: '0000000000000008', fromId: BOB, reason: 'unreadable' }]);
    });

    it('drops a sealed message in an open room as unreadable, telling the user it needs a passphrase', () => {
      const events = feed(pipeline(), wire(text('sealed'), 9n, { sealer: new ContentSealer(keys) }));
      assert.deepEqual(drops(events), [{ id: '0000000000000009', fromId: BOB, reason: 'unreadable' }]);
      assert.deepEqual(problems(events), ['wrong-passphrase']);
    });

    it('drops a payload that does not decode as malformed', () => {
      const garbage = fragmentsOf(PacketType.Text, Uint8Array.of(1, 2, 3), 10n).map((fragment) => ({ ...fragment, memberId: BOB }));
      const events = feed(pipeline(), garbage);
      assert.deepEqual(drops(events), [{ id: '000000000000000a', fromId: BOB, reason: 'malformed' }]);
    });

    it('drops a message whose parts do not fit together as malformed', () => {
      const fragments = wire(text('x'.repeat(3000)), 11n);
      const inconsistent = { ...(fragments[1] as MessageFragment), fragmentCount: 9 };
      const events = feed(pipeline(), [fragments[0] as MessageFragment, inconsistent]);
      assert.deepEqual(drops(events), [{ id: '000000000000000b', fromId: BOB, reason: 'malformed' }]);
    });

    it('drops a partial message that stopped growing as incomplete, exactly when it goes stale', () => {
      const inbound = pipeline();
      feed(inbound, wire(image(640, 480, 20_000), 12n).slice(0, 5));
      assert.equal(inbound.nextWakeup(), T0 + STALE_MS);
      assert.deepEqual(inbound.expire(T0 + STALE_MS - 1), []);
      const events = inbound.expire(T0 + STALE_MS);
      assert.deepEqual(drops(events), [{ id: '000000000000000c', fromId: BOB, reason: 'incomplete' }]);
      assert.deepEqual(problems(events), ['incomplete-message']);
    });

    it('drops the partial messages of a member who left as incomplete', () => {
      const inbound = pipeline();
      feed(inbound, wire(image(640, 480, 20_000), 13n).slice(0, 5));
      const events = inbound.dropOrigin(BOB, 'bob');
      assert.deepEqual(drops(events), [{ id: '000000000000000d', fromId: BOB, reason: 'incomplete' }]);
    });

    it('drops a message over the relay limit as too large, and ignores the rest of its fragments', () => {
      const inbound = pipeline({ maxTextBytes: () => 500 });
      const events = feed(inbound, wire(text('y'.repeat(4000)), 14n));
      assert.deepEqual(drops(events), [{ id: '000000000000000e', fromId: BOB, reason: 'too-large' }]);
      assert.deepEqual(kinds(events), ['problem', 'dropped']);
    });

    it('drops an image that declares more megapixels than allowed as too large, with a problem', () => {
      const events = feed(pipeline({ maxImageMegapixels: 1 }), wire(image(1001, 1000), 15n));
      assert.deepEqual(drops(events), [{ id: '000000000000000f', fromId: BOB, reason: 'too-large' }]);
      assert.deepEqual(problems(events), ['too-large']);
      assert.equal(kinds(feed(pipeline({ maxImageMegapixels: 1 }), wire(image(1000, 1000), 16n))).at(-1), 'image');
    });

    it('drops a message whose sealed sender is not the member the relay names as refused', () => {
      const events = feed(pipeline(), wire(text('I am alice', 'alice'), 17n));
      assert.deepEqual(drops(events), [{ id: '0000000000000011', fromId: BOB, reason: 'refused' }]);
      assert.deepEqual(kinds(events), ['dropped']);
    });
  });

  describe('per-sender authenticity (sealed rooms)', () => {
    const sealedPipeline = (): InboundPipeline => {
      const inbound = pipeline();
      inbound.setOpener(new ContentOpener(keys));
      return inbound;
    };
    const messages = (events: InboundEvent[]) => events.flatMap((event) => (event.kind === 'message' ? [`${event.message.from}: ${event.message.text}`] : []));

    it("shows a member's signed message under its name", () => {
      const events = feed(sealedPipeline(), wire(text('hi', 'alice'), 1n, { origin: ALICE, sealer: new ContentSealer(aliceKeys) }));
      assert.deepEqual(messages(events), ['alice: hi']);
    });

    it('refuses a message from a member who left, whatever name it claims inside', () => {
      const roster = new Roster();
      roster.replace([{ id: ALICE, name: 'alice', flags: 0, signingKey: aliceKeys.memberPublicKey }], false, T0);
      const inbound = pipeline({ roster });
      inbound.setOpener(new ContentOpener(keys));
      // Mallory's own Leave overtook her queued text: she is no longer in the roster when it arrives.
      const events = feed(inbound, wire(text('send me the keys', 'alice'), 30n, { origin: MALLORY, sealer: new ContentSealer(malloryKeys) }));
      assert.deepEqual(drops(events), [{ id: '000000000000001e', fromId: MALLORY, reason: 'refused' }]);
      assert.deepEqual(messages(events), []);
    });

    it("refuses a message from alice's member id that alice's key did not sign", () => {
      const events = feed(sealedPipeline(), wire(text('I am alice', 'alice'), 31n, { origin: ALICE, sealer: new ContentSealer(malloryKeys) }));
      assert.deepEqual(drops(events), [{ id: '000000000000001f', fromId: ALICE, reason: 'refused' }]);
    });

    it('refuses a validly signed message whose key is not in the roster', () => {
      const stranger = withFreshMemberKey(keys);
      const asBob = feed(sealedPipeline(), wire(text('hello'), 32n, { origin: BOB, sealer: new ContentSealer(stranger) }));
      assert.deepEqual(drops(asBob), [{ id: '0000000000000020', fromId: BOB, reason: 'refused' }]);
      const unknown = feed(sealedPipeline(), wire(text('hello', 'zed'), 33n, { origin: 123, sealer: new ContentSealer(stranger) }));
      assert.deepEqual(drops(unknown), [{ id: '0000000000000021', fromId: 123, reason: 'refused' }]);
    });

    it("lets alice's real messages through after mallory sent with alice's next ids, claiming to be alice", () => {
      const inbound = sealedPipeline();
      const alice = new ContentSealer(aliceKeys);
      const mallory = new ContentSealer(malloryKeys);
      for (const id of [40n, 41n]) assert.equal(drops(feed(inbound, wire(text('fake', 'alice'), id, { origin: MALLORY, sealer: mallory })))[0]?.reason, 'refused');
      const real = [...feed(inbound, wire(text('one', 'alice'), 40n, { origin: ALICE, sealer: alice })), ...feed(inbound, wire(text('two', 'alice'), 41n, { origin: ALICE, sealer: alice }))];
      assert.deepEqual(messages(real), ['alice: one', 'alice: two']);
    });

    it("lets alice's real image through after mallory sent a message of her own under alice's next id", () => {
      const inbound = sealedPipeline();
      const real = wire({ ...image(640, 480, 20_000), sender: 'alice' }, 50n, { origin: ALICE, sealer: new ContentSealer(aliceKeys) });
      feed(inbound, real.slice(0, 3));
      const forged = feed(inbound, wire(text('mine now', 'mallory'), 50n, { origin: MALLORY, sealer: new ContentSealer(malloryKeys) }));
      assert.deepEqual(messages(forged), ['mallory: mine now']);
      assert.deepEqual(drops(forged), [], "alice's half-received image is not closed by another sender's id");
      const rest = feed(inbound, real.slice(3));
      assert.deepEqual(drops(rest), []);
      assert.equal(kinds(rest).at(-1), 'image');
    });

    it('drops a copy its signer already delivered, resent under a new member id, as a duplicate', () => {
      const inbound = sealedPipeline();
      const sealed = new ContentSealer(keys).seal(PacketType.Text, 60n, encodePayload(text('once')));
      const copy = (origin: number): MessageFragment[] =>
        fragmentsOf(PacketType.Text, sealed, 60n, Flag.Encrypted).map((fragment) => ({ ...fragment, memberId: origin }));
      assert.deepEqual(kinds(feed(inbound, copy(BOB))), ['message']);
      assert.deepEqual(drops(feed(inbound, copy(42))), [{ id: '000000000000003c', fromId: 42, reason: 'duplicate' }]);
    });
  });

  it('passes the relay\'s member list, joins, leaves and notices on', () => {
    const inbound = pipeline();
    const control = (payload: MessagePayload, id: bigint): MessageFragment[] =>
      fragmentsOf(payload.type, encodePayload(payload), id).map((fragment) => ({ ...fragment, memberId: 0 }));
    const events = [
      ...feed(inbound, control({ type: PacketType.MemberList, members: [{ id: 1, name: 'alice', flags: 0 }] }, 20n)),
      ...feed(inbound, control({ type: PacketType.MemberJoined, member: { id: 3, name: 'carol', flags: 0 } }, 21n)),
      ...feed(inbound, control({ type: PacketType.MemberLeft, member: { id: 3, name: 'carol', flags: 0 }, reason: 1 }, 22n)),
      ...feed(inbound, control({ type: PacketType.Notice, code: 8, message: 'too large' }, 23n)),
    ];
    assert.deepEqual(kinds(events), ['members', 'memberJoined', 'memberLeft', 'notice']);
  });

  describe('kinds of text', () => {
    const kinded = (kind: NonNullable<Extract<Chat, { type: typeof PacketType.Text }>['kind']>, body = '', sender = 'bob'): Chat => ({ type: PacketType.Text, sentAt: 123, sender, text: body, kind });

    it('turns a reply into a message that names the message it answers', () => {
      const [event] = feed(pipeline(), wire(kinded({ kind: 'reply', target: 0x2an }, 'yes'), 70n));
      assert.ok(event?.kind === 'message');
      assert.equal(event.message.text, 'yes');
      assert.equal(event.message.replyTo, '000000000000002a');
    });

    it('turns a reaction into an action of its sender, not a message', () => {
      const events = feed(pipeline(), wire(kinded({ kind: 'reaction', target: 0x2an, emoji: '👍', on: true }), 71n));
      assert.deepEqual(kinds(events), ['action']);
      const [event] = events;
      assert.ok(event?.kind === 'action');
      assert.deepEqual(event.action, { what: { kind: 'reaction', target: 0x2an, emoji: '👍', on: true }, id: '0000000000000047', from: 'bob', fromId: BOB, senderKey: 'n:bob', sentAt: 123, text: '' });
    });

    it('passes a kind it does not know on as an action to ignore, with no drop and no problem', () => {
      const events = feed(pipeline(), wire(kinded({ kind: 'unknown', code: 0x7f }), 72n));
      assert.deepEqual(kinds(events), ['action']);
    });

    it('closes the progress of a long edit with a not-a-message drop before the action', () => {
      const events = feed(pipeline(), wire(kinded({ kind: 'edit', target: 0x2an }, 'x'.repeat(5000)), 73n));
      assert.deepEqual([...new Set(kinds(events))], ['incoming', 'dropped', 'action']);
      assert.deepEqual(drops(events), [{ id: '0000000000000049', fromId: BOB, reason: 'not-a-message' }]);
    });

    it("refuses an edit whose sealed sender name is not its sender's, as it refuses such a text", () => {
      const events = feed(pipeline(), wire(kinded({ kind: 'edit', target: 0x2an }, 'forged', 'alice'), 74n));
      assert.deepEqual(drops(events), [{ id: '000000000000004a', fromId: BOB, reason: 'refused' }]);
    });

    it('names a sealed sender by its member key, which the action ledger compares', () => {
      const inbound = pipeline();
      inbound.setOpener(new ContentOpener(keys));
      const [event] = feed(inbound, wire(kinded({ kind: 'delete', target: 0x2an }, '', 'alice'), 75n, { origin: ALICE, sealer: new ContentSealer(aliceKeys) }));
      assert.ok(event?.kind === 'action');
      assert.equal(event.action.senderKey, `k:${Buffer.from(aliceKeys.memberPublicKey).toString('hex')}`);
    });
  });
});
