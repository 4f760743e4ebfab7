import assert from 'node:assert/strict';
import { CLIENT_NONCE_BYTES, controlHeader, encodeControl } from '../../../src/protocol/codec';
import { PREVIOUS_PROTOCOL_VERSION } from '../../../src/protocol/constants';
import { recordingSession } from '../../support/recording-session';
import { ErrorCode, ExtensionTag, PacketType, type JoinPacket, type Packet } from '../../../src/protocol/types';

const T0 = 50_000;

function session() {
  return recordingSession({ relayHost: 'relay.example', relayPort: 12345, joinRetryMs: 100, maxJoinRetryMs: 400 });
}

const joins = (sent: Packet[]): JoinPacket[] => sent.filter((packet): packet is JoinPacket => packet.type === PacketType.Join);

function challenge(clientNonce: Uint8Array, cookie: Uint8Array): Uint8Array {
  return encodeControl({ ...controlHeader(PacketType.Challenge, 0), body: { clientNonce, cookie } });
}

/** An Error as a relay of the previous version writes it: same layout, the old version byte. */
function olderRelayError(code: number): Uint8Array {
  const message = 'this relay speaks protocol version 1, not 2';
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
      message: 'the relay at relay.example:12345 speaks an older protocol (version 1): upgrade the relay',
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
