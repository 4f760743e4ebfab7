/**
 * A sealed room's keys and replay marks as the client uses them. The keys are derived (or found in memory) when the
 * session's Challenge names the relay's salt, handed to the session for its Join, and given to the conversation
 * once a Welcome signed by the relay vouched for that salt. The replay marks of earlier runs are loaded before the
 * socket opens, saved as they change and on close. No socket and no timer: the client's edge calls in.
 */
import type { RoomKeys } from '../protocol/room-crypto';
import type { Clock } from '../util/clock';
import type { Conversation } from './conversation';
import { ReplayMarkKeeper, replayMarkScope } from './replay-marks';
import { RoomKeySource } from './room-keys';
import type { RelaySession } from './session';
import type { ChatClientOptions } from './types';

export interface SealingHost {
  closed(): boolean;
  session(): RelaySession;
  conversation(): Conversation;
  /** Something changed the next deadline. */
  schedule(): void;
  /** The keys cannot be derived: nothing retrying can fix, the join ends. */
  failed(message: string): void;
}

type Log = NonNullable<ChatClientOptions['log']>;

export class RoomSealing {
  readonly #options: ChatClientOptions;
  readonly #room: string;
  readonly #host: SealingHost;
  readonly #clock: Clock;
  readonly #log: Log;
  /** The room keys per relay salt, derived after the relay's Challenge names the salt. */
  readonly #keys: RoomKeySource;
  /** The keys the conversation seals and opens with, from the first Welcome on (a relay's salt never changes). */
  #sealedWith: RoomKeys | undefined;
  /** Replay marks across runs (options.replayMarks), and the last save close() started. */
  #marks: ReplayMarkKeeper | undefined;
  #marksSaved: Promise<void> = Promise.resolve();

  /** A room with a passphrase is sealed; an open room has no sealing (undefined). `room`: the checked name. */
  static of(options: ChatClientOptions, room: string, host: SealingHost, clock: Clock, log: Log): RoomSealing | undefined {
    return options.passphrase ? new RoomSealing(options, options.passphrase, room, host, clock, log) : undefined;
  }

  private constructor(options: ChatClientOptions, passphrase: string, room: string, host: SealingHost, clock: Clock, log: Log) {
    this.#options = options;
    this.#room = room;
    this.#host = host;
    this.#clock = clock;
    this.#log = log;
    this.#keys = new RoomKeySource(passphrase, room, { ready: this.#keysOnReady, failed: this.#keysOnFailed }, options.deriveRoomKeys);
  }

  /**
   * Restores the replay marks earlier runs saved (before any sealed message can be opened: what they opened stays
   * refused). Undefined when there is no store to load from.
   */
  loadMarks(): Promise<void> | undefined {
    const store = this.#options.replayMarks;
    if (!store) return undefined;
    const scope = replayMarkScope(this.#options.relayHost, this.#options.relayPort, this.#room);
    const marks = new ReplayMarkKeeper(store, scope, () => this.#host.conversation().opener, this.#clock, this.#log);
    this.#marks = marks;
    return marks.load().then((loaded) => this.#host.conversation().restoreReplayMarks(loaded));
  }

  /** The session was welcomed: the relay's identity vouched for the salt its keys come from, so seal with them. */
  welcomed(now: number): void {
    // Once: a rejoin keeps the keys.
    const keys = this.#host.session().roomKeys;
    if (keys && keys !== this.#sealedWith) {
      this.#sealedWith = keys;
      this.#host.conversation().seal(keys, now);
      this.#host.schedule();
    }
  }

  /** The session needs keys for `roomSalt`: from memory at once, else derived (scrypt, on the pool). */
  derive(roomSalt: Uint8Array, now: number): void {
    const keys = this.#keys.cached(roomSalt);
    if (keys) return this.#host.session().roomKeysReady(roomSalt, keys, now);
    this.#log('debug', 'deriving the room keys for this relay (scrypt)');
    this.#keys.request(roomSalt);
  }

  /** A datagram was handled: the marks may have moved. */
  changed(): void {
    this.#marks?.changed();
  }

  /** Derives nothing more and starts the last save of the marks (see `saved`). */
  close(): void {
    this.#keys.close();
    if (this.#marks) this.#marksSaved = this.#marks.flush();
  }

  /** The last save close() started; settles, never rejects. */
  get saved(): Promise<void> {
    return this.#marksSaved;
  }

  /** Keys derived for a salt a Challenge gave (scrypt finished on the pool). */
  #keysOnReady = (roomSalt: Uint8Array, keys: RoomKeys): void => {
    if (this.#host.closed()) return;
    try {
      this.#host.session().roomKeysReady(roomSalt, keys, this.#clock.now());
    } catch (error) {
      this.#log('warn', `internal error after deriving the room keys: ${String(error)}`);
    }
    this.#host.schedule();
  };

  #keysOnFailed = (error: Error): void => {
    if (this.#host.closed()) return;
    this.#host.failed(`cannot derive the room keys: ${error.message}`);
  };
}
