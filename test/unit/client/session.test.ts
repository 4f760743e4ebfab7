import assert from 'node:assert/strict';
import { MAX_HEARTBEAT_INTERVAL_MS, MAX_IMAGE_BYTES } from '../../../src/client/limits';
import type { RelaySession, SessionSignal } from '../../../src/client/session';
import { recordingSession } from '../../support/recording-session';
import { CLIENT_NONCE_BYTES, controlHeader, encodeControl } from '../../../src/protocol/codec';
import { createHopKeyPair, deriveHopKeys, signDatagram, type HopKeys } from '../../../src/protocol/hop-auth';
import { createRelayIdentity, relayFingerprint, RoomSalts, signWelcome, type RelayIdentity } from '../../../src/protocol/relay-identity';
import { ErrorCode, ExtensionTag, Flag, PacketType, type ControlPacket, type Packet } from '../../../src/protocol/types';

const T0 = 20_000;
const MEMBER = 42;
/** The relay's long-term identity, signing every Welcome unless a test says otherwise. */
const RELAY = createRelayIdentity();

/** A session whose datagrams are kept in `sent`, decoded. */
const session = recordingSession;

/**
 * The relay's side of the handshake: a Challenge to the last Join (with the relay's room salt), then a Welcome
 * answering the Join that came back, signed with the keys it derives.
 */
function welcome(
  { relaySession, sent }: { relaySession: RelaySession; sent: Packet[] },
  overrides: { heartbeatIntervalMs?: number; maxImageBytes?: number; signWith?: 'own' | 'other'; identity?: RelayIdentity } = {},
) {
  const identity = overrides.identity ?? RELAY;
  const roomSalt = new RoomSalts(identity).of('general');
  const challenged = [...sent].reverse().find((packet) => packet.type === PacketType.Join);
  assert.ok(challenged && challenged.type === PacketType.Join, 'no Join was sent');
  const cookie = new Uint8Array(20).fill(sent.length & 0xff);
  relaySession.receive(encodeControl({ ...controlHeader(PacketType.Challenge, 0), body: { clientNonce: challenged.body.clientNonce, roomSalt, cookie } }), T0);
  const join = [...sent].reverse().find((packet) => packet.type === PacketType.Join);
  assert.ok(join && join.type === PacketType.Join && join.body.extensions.has(ExtensionTag.Cookie), 'no Join answered the Challenge');
  const clientKey = join.body.extensions.get(ExtensionTag.HopPublicKey) as Uint8Array;
  const relayKeys = createHopKeyPair();
  const keys = deriveHopKeys(relayKeys.privateKey, clientKey, join.body.clientNonce) as HopKeys;
  const datagram = encodeControl({
    ...controlHeader(PacketType.Welcome, MEMBER),
    flags: Flag.Auth,
    body: {
      clientNonce: join.body.clientNonce,
      room: 'general',
      heartbeatIntervalMs: overrides.heartbeatIntervalMs ?? 2000,
      memberTimeoutMs: 10 * 60_000,
      maxTextBytes: 16 * 1024,
      maxImageBytes: overrides.maxImageBytes ?? 10 * 1024 * 1024,
      extensions: new Map([
        [ExtensionTag.HopPublicKey, relayKeys.publicKey],
        [ExtensionTag.RelayIdentity, identity.publicKey],
        [ExtensionTag.RelayIdentityProof, signWelcome(identity, { clientNonce: join.body.clientNonce, hopPublicKey: relayKeys.publicKey, memberId: MEMBER, roomSalt })],
      ]),
    },
  });
  const signing = overrides.signWith === 'other' ? (deriveHopKeys(createHopKeyPair().privateKey, clientKey, join.body.clientNonce) as HopKeys) : keys;
  return { datagram: signDatagram(datagram, signing.downstream), keys, nonce: join.body.clientNonce };
}

function errorDatagram(code: number, keys: HopKeys | undefined, clientNonce = new Uint8Array(CLIENT_NONCE_BYTES)): Uint8Array {
  const packet: ControlPacket = { ...controlHeader(PacketType.Error, keys ? MEMBER : 0), body: { code, clientNonce, message: 'from the relay' } };
  return keys ? signDatagram(encodeControl({ ...packet, flags: Flag.Auth }), keys.downstream) : encodeControl(packet);
}

function joined() {
  const made = session();
  made.relaySession.start(T0);
  const answer = welcome(made);
  assert.deepEqual(made.relaySession.receive(answer.datagram, T0), { kind: 'welcomed' });
  return { ...made, keys: answer.keys };
}

const kinds = (sent: Packet[]): number[] => sent.map((packet) => packet.type);

describe('client/session', () => {
  describe('joining', () => {
    it('sends a Join at start and again at each back-off deadline poll is called at', () => {
      const { relaySession, sent } = session({ joinRetryMs: 100, maxJoinRetryMs: 400 });
      relaySession.start(T0);
      assert.equal(relaySession.nextWakeup(), T0 + 100);
      relaySession.poll(T0 + 99);
      assert.equal(sent.length, 1);
      for (const [at, next] of [[100, 300], [300, 700], [700, 1100], [1100, 1500]] as const) {
        relaySession.poll(T0 + at);
        assert.equal(relaySession.nextWakeup(), T0 + next);
      }
      assert.deepEqual(kinds(sent), Array(5).fill(PacketType.Join));
    });

    it('takes a Welcome signed with the key it announces, opens the channel and proves it at once with a heartbeat', () => {
      const { relaySession, sent } = joined();
      assert.ok(relaySession.channel);
      assert.equal(relaySession.memberId, MEMBER);
      assert.equal(sent.at(-1)?.type, PacketType.Heartbeat);
      assert.equal(relaySession.nextWakeup(), T0 + 2000);
    });

    it('ignores a Welcome signed with another key', () => {
      const { relaySession, sent } = session();
      relaySession.start(T0);
      assert.deepEqual(relaySession.receive(welcome({ relaySession, sent }, { signWith: 'other' }).datagram, T0), { kind: 'none' });
      assert.equal(relaySession.channel, undefined);
    });

    it('clamps the limits a Welcome announces', () => {
      const { relaySession, sent } = session();
      relaySession.start(T0);
      relaySession.receive(welcome({ relaySession, sent }, { heartbeatIntervalMs: 0xffff_ffff, maxImageBytes: 0xffff_ffff }).datagram, T0);
      assert.equal(relaySession.limits.heartbeatIntervalMs, MAX_HEARTBEAT_INTERVAL_MS);
      assert.equal(relaySession.limits.maxImageBytes, MAX_IMAGE_BYTES);
    });

    it('reports a refusal that answers its Join, and ignores one that does not', () => {
      const { relaySession, sent } = session();
      relaySession.start(T0);
      const join = sent[0];
      assert.ok(join?.type === PacketType.Join);
      assert.deepEqual(relaySession.receive(errorDatagram(ErrorCode.NameTaken, undefined), T0), { kind: 'none' });
      const signal = relaySession.receive(errorDatagram(ErrorCode.NameTaken, undefined, Uint8Array.from(join.body.clientNonce)), T0);
      assert.deepEqual(signal, { kind: 'refused', code: ErrorCode.NameTaken, name: 'name-taken', message: 'from the relay' });
    });
  });

  describe('the relay identity', () => {
    it('reports the first identity it sees to onFirstUse', () => {
      const firstUse: string[] = [];
      const { relaySession, sent } = session({
        relayHost: '127.0.0.1',
        relayPort: 9,
        relayIdentity: { onFirstUse: (relay, fingerprint) => firstUse.push(`${relay} ${fingerprint}`) },
      });
      relaySession.start(T0);
      assert.deepEqual(relaySession.receive(welcome({ relaySession, sent }).datagram, T0), { kind: 'welcomed' });
      assert.deepEqual(firstUse, [`127.0.0.1:9 ${relayFingerprint(RELAY.publicKey)}`]);
    });

    it('refuses, fatally and naming both fingerprints, a Welcome from another identity than the pinned one', () => {
      const changes: [string, string, string][] = [];
      const pinned = relayFingerprint(createRelayIdentity().publicKey);
      const { relaySession, sent } = session({
        relayHost: '127.0.0.1',
        relayPort: 9,
        relayIdentity: {
          pinned: (relay) => (relay === '127.0.0.1:9' ? pinned : undefined),
          onFirstUse: () => assert.fail('not a first use'),
          onChanged: (relay, was, now) => changes.push([relay, was, now]),
        },
      });
      relaySession.start(T0);
      const signal = relaySession.receive(welcome({ relaySession, sent }).datagram, T0);
      const offered = relayFingerprint(RELAY.publicKey);
      assert.ok(signal.kind === 'refused' && signal.name === 'relay-key-changed', JSON.stringify(signal));
      assert.match(signal.message, new RegExp(`^the relay at 127\\.0\\.0\\.1:9 has a different identity than before \\(was ${pinned}, now ${offered}\\)`));
      assert.deepEqual(changes, [['127.0.0.1:9', pinned, offered]]);
      assert.equal(relaySession.channel, undefined);
      assert.equal(relaySession.nextWakeup(), undefined, 'no more joins after a changed key');
    });

    it('refuses a rejoin to another identity than the first Welcome, without any pin', () => {
      const { relaySession, sent } = joined();
      relaySession.start(T0 + 1000);
      const signal = relaySession.receive(welcome({ relaySession, sent }, { identity: createRelayIdentity() }).datagram, T0 + 1000);
      assert.equal(signal.kind === 'refused' && signal.name, 'relay-key-changed');
      assert.equal(relaySession.channel, undefined);
    });

    it('takes a rejoin to the same identity', () => {
      const { relaySession, sent } = joined();
      relaySession.start(T0 + 1000);
      assert.deepEqual(relaySession.receive(welcome({ relaySession, sent }).datagram, T0 + 1000), { kind: 'welcomed' });
    });
  });

  describe('the end of a session', () => {
    it('ends at once on a signed shutting-down, and ignores an unsigned one', () => {
      const { relaySession, keys } = joined();
      assert.deepEqual(relaySession.receive(errorDatagram(ErrorCode.ShuttingDown, undefined), T0 + 10), { kind: 'none' });
      const signal: SessionSignal = relaySession.receive(errorDatagram(ErrorCode.ShuttingDown, keys), T0 + 10);
      assert.equal(signal.kind === 'lost' && signal.reason, 'relay-shutdown');
    });

    it('starts a new session at once on a signed unknown-session (the relay ran out of sequence numbers)', () => {
      const { relaySession, keys } = joined();
      const signal = relaySession.receive(errorDatagram(ErrorCode.UnknownSession, keys), T0 + 10);
      assert.equal(signal.kind === 'lost' && signal.reason, 'new-session');
    });

    it('asks with a heartbeat after an unsigned unknown-session, and rejoins only if no signed answer came within 300 ms', () => {
      const { relaySession, sent } = joined();
      const before = sent.length;
      assert.deepEqual(relaySession.receive(errorDatagram(ErrorCode.UnknownSession, undefined), T0 + 10), { kind: 'none' });
      assert.deepEqual(kinds(sent.slice(before)), [PacketType.Heartbeat]);
      assert.deepEqual(relaySession.poll(T0 + 309), { kind: 'none' });
      const signal = relaySession.poll(T0 + 310);
      assert.equal(signal.kind === 'lost' && signal.reason, 'relay-restarted');
    });

    it('ends after three silent heartbeat intervals', () => {
      const { relaySession } = joined();
      for (let now = T0; now < T0 + 6000; now += 250) assert.notEqual(relaySession.poll(now).kind, 'lost');
      const signal = relaySession.poll(T0 + 6000);
      assert.equal(signal.kind === 'lost' && signal.reason, 'relay-silent');
    });

    it('reports a fragment delivered only once the relay acknowledges it cumulatively, not when it holds it out of order', () => {
      const { relaySession, keys, acknowledged } = joined();
      const channel = relaySession.channel;
      assert.ok(channel);
      const fragment = { type: PacketType.Text, flags: Flag.Reliable, memberId: 0, messageId: 1n, fragmentIndex: 0, fragmentCount: 1, chunk: new Uint8Array(4) } as const;
      const tickets = [1, 2, 3].map(() => channel.send({ ...fragment }, 40, 'normal', T0));
      const ack = (cumulative: number, ranges: { first: number; last: number }[]): Uint8Array =>
        signDatagram(encodeControl({ ...controlHeader(PacketType.Ack, MEMBER), flags: Flag.Auth, body: { cumulative, window: 512, delayMs: 0, ranges } }), keys.downstream);
      relaySession.receive(ack(0, [{ first: 2, last: 3 }]), T0 + 5);
      // Had the outbox been told now, a rejoin before seq 1 arrived would lose what the old relay channel held.
      assert.deepEqual(acknowledged, []);
      relaySession.receive(ack(3, []), T0 + 6);
      assert.deepEqual(acknowledged, tickets);
    });

    it('joins again with a Join signed with the old session\'s key, naming its member id', () => {
      const { relaySession, sent } = joined();
      relaySession.start(T0 + 100);
      const join = sent.at(-1);
      assert.equal(join?.type, PacketType.Join);
      assert.equal(join?.memberId, MEMBER);
      assert.equal((join?.flags ?? 0) & Flag.Auth, Flag.Auth);
      assert.equal(relaySession.channel, undefined);
    });
  });

  describe('typing', () => {
    const typingFromRelay = (keys: HopKeys | undefined, typist: number, recipient = MEMBER): Uint8Array => {
      const packet: ControlPacket = { ...controlHeader(PacketType.Typing, recipient), body: { memberId: typist } };
      return keys ? signDatagram(encodeControl({ ...packet, flags: Flag.Auth }), keys.downstream) : encodeControl(packet);
    };

    it("reports the relay's signed Typing as the member it names", () => {
      const { relaySession, keys } = joined();
      assert.deepEqual(relaySession.receive(typingFromRelay(keys, 7), T0 + 10), { kind: 'typing', memberId: 7 });
    });

    it('ignores a Typing that is unsigned, for another recipient, or about ourselves', () => {
      const { relaySession, keys } = joined();
      assert.deepEqual(relaySession.receive(typingFromRelay(undefined, 7), T0 + 10), { kind: 'none' });
      assert.deepEqual(relaySession.receive(typingFromRelay(keys, 7, MEMBER + 1), T0 + 10), { kind: 'none' });
      assert.deepEqual(relaySession.receive(typingFromRelay(keys, MEMBER), T0 + 10), { kind: 'none' });
    });

    it('sends one signed, unsequenced Typing once welcomed, and none before', () => {
      const made = session();
      made.relaySession.start(T0);
      assert.equal(made.relaySession.sendTyping(), false);
      const answer = welcome(made);
      made.relaySession.receive(answer.datagram, T0);
      const before = made.sent.length;
      assert.equal(made.relaySession.sendTyping(), true);
      const sent = made.sent.slice(before);
      assert.deepEqual(kinds(sent), [PacketType.Typing]);
      assert.equal(sent[0]?.seq, 0);
      assert.equal(sent[0]?.memberId, MEMBER);
    });
  });
});
