/**
 * The relays this VS Code has met (SSH's known_hosts): host:port → the fingerprint of the identity first seen
 * there, in globalState. Pinned on first use; replaced only by the user's choice after a `relay-key-changed`.
 * No vscode import: the store is a Memento-shaped object, so the logic is tested without VS Code.
 */
import type { RelayIdentityOptions } from '../client/types';

/** What globalState offers (vscode.Memento), as much as this store needs. */
export interface PinStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const STATE_KEY = 'udpChat.knownRelays';
/** Relays remembered at most (the oldest pins go first): a bound on what globalState holds, ~100 bytes each. */
export const MAX_KNOWN_RELAYS = 500;

/** A change the client refused, kept until the user decides. */
export interface RelayKeyChange {
  relay: string;
  expected: string;
  offered: string;
}

export class KnownRelays {
  readonly #state: PinStore;
  readonly #log: (message: string) => void;
  /** The last refused change per relay: what a "Trust New Key" would pin. */
  readonly #changes = new Map<string, RelayKeyChange>();

  constructor(state: PinStore, log: (message: string) => void = () => {}) {
    this.#state = state;
    this.#log = log;
  }

  pinned(relay: string): string | undefined {
    return this.#pins()[relay];
  }

  /** The change refused at `relay` since the last pin, if any. */
  change(relay: string): RelayKeyChange | undefined {
    return this.#changes.get(relay);
  }

  /** The user chose to trust the new key: it replaces the pin (only the fingerprint the relay offered). */
  async trust(change: RelayKeyChange): Promise<void> {
    this.#changes.delete(change.relay);
    await this.#pin(change.relay, change.offered);
  }

  /** The options a ChatClient takes: pins on first use, records a change for the user to judge. */
  clientOptions(): RelayIdentityOptions {
    return {
      pinned: (relay) => this.pinned(relay),
      onFirstUse: (relay, fingerprint) => {
        this.#log(`relay ${relay} has identity ${fingerprint} (first use: pinned)`);
        void this.#pin(relay, fingerprint);
      },
      onChanged: (relay, expected, offered) => {
        this.#changes.set(relay, { relay, expected, offered });
      },
    };
  }

  #pins(): Record<string, string> {
    const stored = this.#state.get<unknown>(STATE_KEY);
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return {};
    const pins: Record<string, string> = {};
    for (const [relay, fingerprint] of Object.entries(stored)) if (typeof fingerprint === 'string') pins[relay] = fingerprint;
    return pins;
  }

  async #pin(relay: string, fingerprint: string): Promise<void> {
    const pins = this.#pins();
    delete pins[relay];
    pins[relay] = fingerprint; // last: insertion order is age order
    const relays = Object.keys(pins);
    for (const old of relays.slice(0, Math.max(0, relays.length - MAX_KNOWN_RELAYS))) delete pins[old];
    await this.#state.update(STATE_KEY, pins);
  }
}
