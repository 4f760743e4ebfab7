/**
 * Room keys for tests, derived at full cost (scrypt N = 2^17, ~0.5 s) once per passphrase, room and salt in a
 * test process and shared: each call gets its own member key, as a separate derivation would.
 */
import { ROOM_SALT_BYTES } from '../../src/protocol/codec';
import { deriveRoomKeys, withFreshMemberKey, type RoomKeys } from '../../src/protocol/room-crypto';

/**
 * The salt of tests that never meet a relay's Challenge: a relay compares verifiers and cannot tell which salt a
 * member derived with, so any salt shared by the members of a test will do.
 */
export const TEST_ROOM_SALT = new Uint8Array(ROOM_SALT_BYTES).fill(0x5a);

const derived = new Map<string, Promise<RoomKeys>>();

/**
 * deriveRoomKeys, once per passphrase, room and salt in this process (ChatClientOptions.deriveRoomKeys of test
 * clients): the net tests' relays share one identity, so their rooms' salts repeat from test to test.
 */
export function sharedDeriveRoomKeys(passphrase: string, room: string, roomSalt: Uint8Array): Promise<RoomKeys> {
  const key = JSON.stringify([passphrase, room, Buffer.from(roomSalt).toString('hex')]);
  let keys = derived.get(key);
  if (!keys) {
    keys = deriveRoomKeys(passphrase, room, roomSalt);
    derived.set(key, keys);
  }
  return keys;
}

export async function testRoomKeys(passphrase: string, room: string, roomSalt: Uint8Array = TEST_ROOM_SALT): Promise<RoomKeys> {
  return withFreshMemberKey(await sharedDeriveRoomKeys(passphrase, room, roomSalt));
}
