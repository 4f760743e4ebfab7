import assert from 'node:assert/strict';
import { CLIENT_NONCE_BYTES, controlHeader, encodeControl } from '../../../src/protocol/codec';
import { PREVIOUS_PROTOCOL_VERSION } from '../../../src/protocol/constants';
import type { RoomKeys } from '../../../src/protocol/room-crypto';
import { recordingSession } from '../../support/recording-session';
import { TEST_ROOM_SALT, testRoomKeys } from '../../support/room-keys';
import { ErrorCode, ExtensionTag, PacketType, type JoinPacket, type Packet } from '../../../src/protocol/types';

const T0 = 50_000;

function session() {
  return recordingSession({ relayHost: 'relay.example', relayPort: 12345, joinRetryMs: 100, maxJoinRetryMs: 400 });
}

const joins = (sent: Packet[]): JoinPacket[] => sent.filter((packet): packet is JoinPacket => packet.type === PacketType.Join);

/** The relay's salt for the room, as its Challenges hand it out (the tests' shared one: one scrypt for all). */
const SALT = TEST_ROOM_SALT;

function challenge(clientNonce: Uint8Array, cookie: Uint8Array, roomSalt = SALT): Uint8Array {
  return encodeControl({ ...controlHeader(PacketType.Challenge, 0), body: { clientNonce, roomSalt, cookie } });
}

/** An Error as a relay of the previous version writes it: same layout, the old version byte. */
function olderRelayError(code: number): Uint8Array {
  const message = 'this relay speaks UDP Chat wire version 2: upgrade the relay';
  const datagram = encodeControl({ ...controlHeader(PacketType.Error, 0), body: { code, clientNonce: new Uint8Array(CLIENT_NONCE_BYTES), message } });
  datagram[2] = PREVIOUS_PROTOCOL_VERSION;
  return datagram;
}

describe('client/session: address validation', () => {
  it('answers a Challenge to its Join at once with the same Join carrying the cookie', () => {
    const { relaySession, sent } = session();
    relaySession.start(T0);
    const [first] = joins(sent);
    assert.ok(first);
    const cookie = Uint8Array.from([1, 2, 3, 4, 5]);
    relaySession.receive(challenge(first.body.clientNonce, cookie), T0 + 1);
    const [, second] = joins(sent);
    assert.ok(second, 'no Join answered the Challenge');
    assert.deepEqual(second.body.clientNonce, first.body.clientNonce);
    assert.deepEqual(second.body.extensions.get(ExtensionTag.HopPublicKey), first.body.extensions.get(ExtensionTag.HopPublicKey));
    assert.deepEqual(second.body.extensions.get(ExtensionTag.Cookie), cookie);
    assert.equal(first.body.extensions.get(ExtensionTag.Cookie), undefined);
  });

  it('ignores a Challenge whose nonce is not its Join\'s', () => {
    const { relaySession, sent } = session();
    relaySession.start(T0);
    relaySession.receive(challenge(new Uint8Array(CLIENT_NONCE_BYTES).fill(7), Uint8Array.from([9])), T0 + 1);
    assert.equal(joins(sent).length, 1);
    // The back-off's next Join still carries no cookie: the forged one was not taken.
    relaySession.poll(T0 + 100);
    assert.equal(joins(sent).length, 2);
    assert.equal(joins(sent)[1]?.body.extensions.get(ExtensionTag.Cookie), undefined);
  });

  it('keeps the cookie for the back-off\'s retries, and answers at most two Challenges at once per back-off step', () => {
    const { relaySession, sent } = session();
    relaySession.start(T0);
    const nonce = joins(sent)[0]?.body.clientNonce as Uint8Array;
    for (let i = 1; i <= 5; i++) relaySession.receive(challenge(nonce, Uint8Array.from([i])), T0 + i);
    assert.equal(joins(sent).length, 3, 'a stream of Challenges made the client send Joins past its back-off');
    relaySession.poll(T0 + 100);
    assert.deepEqual(joins(sent)[3]?.body.extensions.get(ExtensionTag.Cookie), Uint8Array.from([5]));
    relaySession.receive(challenge(nonce, Uint8Array.from([6])), T0 + 101);
    assert.equal(joins(sent).length, 5, 'the back-off step did not renew the allowance');
  });

  it('reports an older relay\'s unsupported-version as a fatal refusal that names the relay and says to upgrade it', () => {
    const { relaySession } = session();
    relaySession.start(T0);
    const signal = relaySession.receive(olderRelayError(ErrorCode.UnsupportedVersion), T0 + 1);
    assert.deepEqual(signal, {
      kind: 'refused',
      code: ErrorCode.UnsupportedVersion,
      name: 'unsupported-version',
      message: 'the relay at relay.example:12345 speaks an older protocol (version 2): upgrade the relay',
    });
  });

  it('ignores an older-version Error once the relay has challenged this join (it speaks this version)', () => {
    const { relaySession, sent } = session();
    relaySession.start(T0);
    relaySession.receive(challenge(joins(sent)[0]?.body.clientNonce as Uint8Array, Uint8Array.from([1])), T0 + 1);
    assert.deepEqual(relaySession.receive(olderRelayError(ErrorCode.UnsupportedVersion), T0 + 2), { kind: 'none' });
  });

  it('ignores an older relay\'s Error of another code', () => {
    const { relaySession } = session();
    relaySession.start(T0);
    assert.deepEqual(relaySession.receive(olderRelayError(ErrorCode.RateLimited), T0 + 1), { kind: 'none' });
  });
});

describe('client/session: a sealed room\'s keys come from the Challenge\'s salt', function () {
  // One scrypt (N = 2^17), shared by the cases.
  this.timeout(20_000);
  let keys: RoomKeys;
  before(async () => {
    keys = await testRoomKeys('correct horse', 'general', SALT);
  });

  const sealedSession = () => recordingSession({ relayHost: 'relay.example', relayPort: 12345, joinRetryMs: 100, maxJoinRetryMs: 400, sealed: true });

  it('asks for the keys of the salt and sends no Join, at any back-off deadline, until they are there', () => {
    const { relaySession, sent } = sealedSession();
    relaySession.start(T0);
    const nonce = joins(sent)[0]?.body.clientNonce as Uint8Array;
    assert.equal(joins(sent)[0]?.body.extensions.get(ExtensionTag.RoomProof), undefined);
    assert.deepEqual(relaySession.receive(challenge(nonce, Uint8Array.from([1])), T0 + 1), { kind: 'derive', roomSalt: SALT });
    assert.equal(relaySession.nextWakeup(), undefined, 'the timer would send Joins while scrypt runs');
    for (const at of [100, 300, 700, 1100, 5000]) relaySession.poll(T0 + at);
    // The relay challenges the same Join again (its slot turned): still nothing, still one derivation asked for.
    assert.deepEqual(relaySession.receive(challenge(nonce, Uint8Array.from([1])), T0 + 5001), { kind: 'none' });
    assert.equal(joins(sent).length, 1);
    relaySession.roomKeysReady(SALT, keys, T0 + 6000);
    const answer = joins(sent)[1];
    assert.ok(answer, 'no Join once the keys were there');
    assert.deepEqual(answer.body.extensions.get(ExtensionTag.Cookie), Uint8Array.from([1]));
    assert.deepEqual(answer.body.extensions.get(ExtensionTag.RoomKey), keys.verifyKey);
    assert.ok(answer.body.extensions.get(ExtensionTag.RoomProof));
    // The back-off resumes from there (its second step, 200 ms), and its retries carry the cookie and the proof.
    assert.equal(relaySession.nextWakeup(), T0 + 6200);
    relaySession.poll(T0 + 6200);
    assert.ok(joins(sent)[2]?.body.extensions.get(ExtensionTag.RoomProof));
  });

  it('takes no keys of another salt than the Challenge\'s', () => {
    const { relaySession, sent } = sealedSession();
    relaySession.start(T0);
    relaySession.receive(challenge(joins(sent)[0]?.body.clientNonce as Uint8Array, Uint8Array.from([1])), T0 + 1);
    relaySession.roomKeysReady(new Uint8Array(16).fill(0x43), keys, T0 + 2);
    assert.equal(joins(sent).length, 1);
    assert.equal(relaySession.nextWakeup(), undefined);
  });

  it('answers a rejoin\'s Challenge with the same salt at once, with the keys it has', () => {
    const { relaySession, sent } = sealedSession();
    relaySession.start(T0);
    relaySession.receive(challenge(joins(sent)[0]?.body.clientNonce as Uint8Array, Uint8Array.from([1])), T0 + 1);
    relaySession.roomKeysReady(SALT, keys, T0 + 2);
    relaySession.start(T0 + 1000);
    const rejoin = joins(sent).at(-1)?.body.clientNonce as Uint8Array;
    assert.deepEqual(relaySession.receive(challenge(rejoin, Uint8Array.from([2])), T0 + 1001), { kind: 'none' });
    const answer = joins(sent).at(-1);
    assert.deepEqual(answer?.body.clientNonce, rejoin);
    assert.ok(answer?.body.extensions.get(ExtensionTag.RoomProof));
    // Another salt (another relay at that address) needs its own keys.
    relaySession.start(T0 + 2000);
    const third = joins(sent).at(-1)?.body.clientNonce as Uint8Array;
    const other = new Uint8Array(16).fill(0x44);
    assert.deepEqual(relaySession.receive(challenge(third, Uint8Array.from([3]), other), T0 + 2001), { kind: 'derive', roomSalt: other });
  });
});
