/**
 * A sealed room's keys as one client needs them: derived with the salt the relay's Challenge hands out, once per
 * salt (scrypt takes ~0.5 s and 128 MiB), and kept in memory so a rejoin with the same salt derives nothing. One
 * derivation runs at a time, and only the salt asked for last waits behind it: a stream of Challenges with other
 * salts cannot pile scrypt runs up. The member key is made once here, so it stays this client's whatever the salt.
 */
import { generateKeyPairSync } from 'node:crypto';
import { deriveRoomKeys, memberKeyOf, type RoomKeys } from '../protocol/room-crypto';

/** Salts whose keys are kept: the relay's one, and a few more a forged Challenge may have made us derive. */
const MAX_CACHED_SALTS = 4;

export type DeriveRoomKeys = (passphrase: string, room: string, roomSalt: Uint8Array) => Promise<RoomKeys>;

export interface RoomKeyListener {
  /** Keys for `roomSalt` are ready (a `request` of it, or of a salt asked for later, is answered). */
  ready(roomSalt: Uint8Array, keys: RoomKeys): void;
  /** scrypt failed (out of memory, ...): nothing retrying can fix. */
  failed(error: Error): void;
}

export class RoomKeySource {
  readonly #passphrase: string;
  readonly #room: string;
  readonly #derive: DeriveRoomKeys;
  readonly #listener: RoomKeyListener;
  readonly #member = generateKeyPairSync('ed25519').privateKey;
  /** By salt (hex), oldest first. */
  readonly #cache = new Map<string, RoomKeys>();
  #running: string | undefined;
  #wanted: Uint8Array | undefined;
  #closed = false;
  /** scrypt runs started: what a rejoin must not add to. */
  derivations = 0;

  constructor(passphrase: string, room: string, listener: RoomKeyListener, derive: DeriveRoomKeys = deriveRoomKeys) {
    this.#passphrase = passphrase;
    this.#room = room;
    this.#listener = listener;
    this.#derive = derive;
  }

  /** The keys for `roomSalt` when derived before, else undefined. */
  cached(roomSalt: Uint8Array): RoomKeys | undefined {
    return this.#cache.get(hex(roomSalt));
  }

  /** Derives the keys for `roomSalt` (unless it is being derived now); the listener hears when they are ready. */
  request(roomSalt: Uint8Array): void {
    if (this.#closed) return;
    const key = hex(roomSalt);
    if (this.#running === key) {
      this.#wanted = undefined;
      return;
    }
    this.#wanted = Uint8Array.from(roomSalt);
    if (this.#running === undefined) void this.#run();
  }

  /** Nothing more is derived or reported (a derivation under way finishes on the pool and is dropped). */
  close(): void {
    this.#closed = true;
    this.#wanted = undefined;
  }

  async #run(): Promise<void> {
    while (this.#wanted && !this.#closed) {
      const salt = this.#wanted;
      this.#wanted = undefined;
      const key = hex(salt);
      let keys = this.#cache.get(key);
      if (!keys) {
        this.#running = key;
        this.derivations++;
        try {
          keys = memberKeyOf(await this.#derive(this.#passphrase, this.#room, salt), this.#member);
        } catch (error) {
          this.#running = undefined;
          if (!this.#closed) this.#listener.failed(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        this.#running = undefined;
        this.#cache.set(key, keys);
        if (this.#cache.size > MAX_CACHED_SALTS) this.#cache.delete(this.#cache.keys().next().value as string);
      }
      if (!this.#closed) this.#listener.ready(salt, keys);
    }
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
