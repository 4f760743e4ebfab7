/**
 * Sealed rooms' keys salted per relay, on real sockets: the relay's Challenge hands out its salt for the room, so
 * the same passphrase gives a room another verifier on another relay, and a client derives once per salt.
 */
import assert from 'node:assert/strict';
import { decodePacket } from '../../src/protocol/codec';
import { createRelayIdentity } from '../../src/protocol/relay-identity';
import { ExtensionTag, PacketType } from '../../src/protocol/types';
import { Relay } from '../../src/relay/relay';
import { closeAll, FAST_LIMITS, joinClient, RELAY_IDENTITY, startRelay } from '../support/chat';
import { nextEvent, until } from '../support/events';
import { LossyProxy } from '../support/lossy-proxy';
import { sharedDeriveRoomKeys } from '../support/room-keys';

const PASSPHRASE = 'blue whale under the ice';

describe('room keys salted per relay (real sockets)', function () {
  // Each client derives its room keys (scrypt, N = 2^17) once per relay salt.
  this.timeout(30_000);
  const toClose: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const item of toClose.splice(0)) await item.close();
    await closeAll();
  });

  /** A proxy in front of `relay` that keeps the room verifier of every Join that carries one. */
  async function verifiersOn(relay: Relay): Promise<{ proxy: LossyProxy; verifiers: string[] }> {
    const verifiers: string[] = [];
    const proxy = await LossyProxy.start({
      relayPort: relay.address.port,
      seed: 1,
      tap: (direction, _client, datagram) => {
        const decoded = direction === 'toRelay' ? decodePacket(datagram) : undefined;
        const roomKey = decoded?.ok && decoded.value.type === PacketType.Join ? decoded.value.body.extensions.get(ExtensionTag.RoomKey) : undefined;
        if (roomKey) verifiers.push(Buffer.from(roomKey).toString('hex'));
      },
    });
    toClose.push(proxy);
    return { proxy, verifiers };
  }

  it('gives the same passphrase in the same room another verifier on a relay with another identity', async () => {
    const one = await verifiersOn(await startRelay());
    const other = await verifiersOn(await startRelay({ identity: createRelayIdentity() }));
    await Promise.all([
      joinClient(one.proxy, 'alice', { passphrase: PASSPHRASE, room: 'general' }),
      joinClient(other.proxy, 'alice', { passphrase: PASSPHRASE, room: 'general' }),
    ]);
    assert.equal(new Set(one.verifiers).size, 1);
    assert.equal(new Set(other.verifiers).size, 1);
    assert.notEqual(one.verifiers[0], other.verifiers[0], 'one verifier links the room across relays');
  });

  it('rejoins a relay restarted with the same identity without deriving the room keys again', async () => {
    const first = await startRelay();
    const port = first.address.port;
    const derivations: string[] = [];
    const deriveRoomKeys = (passphrase: string, room: string, roomSalt: Uint8Array) => {
      derivations.push(Buffer.from(roomSalt).toString('hex'));
      return sharedDeriveRoomKeys(passphrase, room, roomSalt);
    };
    const alice = await joinClient(first, 'alice', { passphrase: PASSPHRASE, room: 'vault', deriveRoomKeys });
    assert.equal(derivations.length, 1);
    const reconnecting = nextEvent(alice, 'state', (state) => state === 'reconnecting', 5000);
    await first.close();
    await reconnecting;
    const second = await Relay.start({ host: '127.0.0.1', port, limits: FAST_LIMITS, identity: RELAY_IDENTITY });
    toClose.push(second);
    await until(() => alice.state === 'connected', 'alice is back', 10_000);
    // Sealed with the same keys: bob, who derives them himself, reads what alice sends after the rejoin.
    const bob = await joinClient(second, 'bob', { passphrase: PASSPHRASE, room: 'vault' });
    const got = nextEvent(bob, 'message', (message) => message.text === 'after the rejoin');
    alice.sendText('after the rejoin');
    await got;
    assert.equal(derivations.length, 1, 'the rejoin ran scrypt again');
  });
});
