/** A sealed room for network tests: two real clients and mallory, who holds the passphrase and speaks by hand. */
import type { ChatClient } from '../../src/client/client';
import { RoomSalts } from '../../src/protocol/relay-identity';
import type { RoomKeys } from '../../src/protocol/room-crypto';
import { joinClient, RELAY_IDENTITY, startRelay } from './chat';
import { nextEvent } from './events';
import { SocketPeer } from './relay-peer';
import { testRoomKeys } from './room-keys';

export interface SealedRoom {
  alice: ChatClient;
  bob: ChatClient;
  mallory: SocketPeer;
  malloryKeys: RoomKeys;
}

/**
 * Alice and bob join `room` with `passphrase`; mallory derives the keys as clients do (with the relay's salt for
 * the room) and joins once bob has seen her. `peers` collects mallory for the caller to close.
 */
export async function sealedRoomWithMallory(passphrase: string, room: string, peers: SocketPeer[]): Promise<SealedRoom> {
  const relay = await startRelay();
  const alice = await joinClient(relay, 'alice', { passphrase, room });
  const bob = await joinClient(relay, 'bob', { passphrase, room });
  const malloryKeys = await testRoomKeys(passphrase, room, new RoomSalts(RELAY_IDENTITY).of(room));
  const mallory = await SocketPeer.open('mallory', relay.address.port, () => Date.now(), malloryKeys, room);
  peers.push(mallory);
  const seenByBob = nextEvent(bob, 'memberJoined', (member) => member.name === 'mallory');
  await mallory.join();
  await seenByBob;
  return { alice, bob, mallory, malloryKeys };
}
