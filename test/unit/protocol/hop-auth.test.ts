import assert from 'node:assert/strict';
import fc from 'fast-check';
import { controlHeader, encodeControl } from '../../../src/protocol/codec';
import { createHopKeyPair, deriveHopKeys, signDatagram, verifyDatagram } from '../../../src/protocol/hop-auth';
import { Flag, PacketType } from '../../../src/protocol/types';

const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

function session() {
  const client = createHopKeyPair();
  const relay = createHopKeyPair();
  const clientKeys = deriveHopKeys(client.privateKey, relay.publicKey, nonce);
  const relayKeys = deriveHopKeys(relay.privateKey, client.publicKey, nonce);
  assert.ok(clientKeys && relayKeys);
  return { clientKeys, relayKeys };
}

const heartbeat = (): Uint8Array => encodeControl({ ...controlHeader(PacketType.Heartbeat, 7), flags: Flag.Auth, body: { echo: 42 } });

describe('hop authentication', () => {
  it('gives both ends the same keys from the X25519 exchange', () => {
    const { clientKeys, relayKeys } = session();
    assert.deepEqual(clientKeys, relayKeys);
    assert.notDeepEqual(clientKeys.upstream, clientKeys.downstream);
  });

  it('gives each session different keys', () => {
    assert.notDeepEqual(session().clientKeys, session().clientKeys);
  });

  it('accepts a datagram signed with the right key', () => {
    const { clientKeys, relayKeys } = session();
    assert.equal(verifyDatagram(signDatagram(heartbeat(), clientKeys.upstream), relayKeys.upstream), true);
  });

  it('rejects a datagram signed with the other direction\'s key', () => {
    const { clientKeys } = session();
    assert.equal(verifyDatagram(signDatagram(heartbeat(), clientKeys.upstream), clientKeys.downstream), false);
  });

  it('rejects a datagram signed in another session', () => {
    const first = session();
    const second = session();
    assert.equal(verifyDatagram(signDatagram(heartbeat(), first.clientKeys.upstream), second.relayKeys.upstream), false);
  });

  it('rejects every single-bit change of a signed datagram', () => {
    const { clientKeys } = session();
    const signed = signDatagram(heartbeat(), clientKeys.upstream);
    for (let bit = 0; bit < signed.length * 8; bit++) {
      const copy = signed.slice();
      copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
      assert.equal(verifyDatagram(copy, clientKeys.upstream), false, `bit ${bit}`);
    }
  });

  it('rejects a datagram without the Auth flag, and random bytes, without throwing', () => {
    const { clientKeys } = session();
    const unflagged = encodeControl({ ...controlHeader(PacketType.Heartbeat, 7), body: { echo: 42 } });
    assert.equal(verifyDatagram(unflagged, clientKeys.upstream), false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1300 }), (bytes) => verifyDatagram(bytes, clientKeys.upstream) === false), { numRuns: 2000 });
  });

  it('refuses a peer key of the wrong size or of low order', () => {
    const own = createHopKeyPair();
    assert.equal(deriveHopKeys(own.privateKey, new Uint8Array(31), nonce), undefined);
    // The all-zero point makes every shared secret zero: an attacker could then predict the keys.
    assert.equal(deriveHopKeys(own.privateKey, new Uint8Array(32), nonce), undefined);
  });
});
