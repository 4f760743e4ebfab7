/**
 * The relay hosted inside the extension host (started from the status bar). No vscode here: the status bar and
 * commands observe it through its events.
 */
import os from 'node:os';
import { formatHostPort } from '../protocol/address';
import { relayFingerprint, type RelayIdentity } from '../protocol/relay-identity';
import { loadRelayIdentity } from '../relay/identity-file';
import { Relay, type RelayLogger } from '../relay/relay';
import { TypedEmitter } from '../util/typed-emitter';

export interface HostedRelay {
  bindAddress: string;
  port: number;
  members: number;
}

export type RelayHostEvents = {
  changed: [relay: HostedRelay | undefined];
};

export class RelayHostError extends Error {}

export class RelayHost extends TypedEmitter<RelayHostEvents> {
  readonly #log: RelayLogger;
  readonly #identityFile: string | undefined;
  #relay: Relay | undefined;
  #starting: Promise<HostedRelay> | undefined;

  /**
   * `identityFile`: where the relay's long-term identity is kept (the extension's globalStorage), so members who
   * pinned it on first use still recognise this relay after a restart; without it each start is a new identity.
   */
  constructor(log: RelayLogger, identityFile?: string) {
    super();
    this.#log = log;
    this.#identityFile = identityFile;
  }

  get current(): HostedRelay | undefined {
    const relay = this.#relay;
    return relay ? { bindAddress: relay.address.host, port: relay.address.port, members: relay.memberCount } : undefined;
  }

  /** Starts the relay; throws RelayHostError with a readable reason (port in use, bad address). */
  start(options: { host: string; port: number; acceptLegacy: boolean }): Promise<HostedRelay> {
    if (this.#relay) return Promise.resolve(this.current as HostedRelay);
    this.#starting ??= this.#start(options).finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(options: { host: string; port: number; acceptLegacy: boolean }): Promise<HostedRelay> {
    let identity: RelayIdentity | undefined;
    if (this.#identityFile !== undefined) {
      try {
        const loaded = await loadRelayIdentity(this.#identityFile);
        identity = loaded.identity;
        this.#log('info', `relay identity ${relayFingerprint(identity.publicKey)}${loaded.created ? ' (new)' : ''}`);
      } catch (error) {
        throw new RelayHostError(`Could not read the relay's identity key: ${(error as Error).message}`);
      }
    }
    let relay: Relay;
    try {
      relay = await Relay.start({ host: options.host, port: options.port, acceptLegacy: options.acceptLegacy, log: this.#log, identity });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        throw new RelayHostError(`Port ${options.port} is already in use (is a relay already running?). Change "udpChat.hostPort" to use another.`);
      }
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EINVAL') {
        throw new RelayHostError(`"${options.host}" is not an address of this machine. Check "udpChat.hostAddress".`);
      }
      throw new RelayHostError(`Could not start the relay: ${(error as Error).message}`);
    }
    this.#relay = relay;
    relay.on('members', () => this.emit('changed', this.current));
    this.#log('info', `relay listening on ${formatHostPort(relay.address.host, relay.address.port)}`);
    this.emit('changed', this.current);
    return this.current as HostedRelay;
  }

  async stop(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    const relay = this.#relay;
    if (!relay) return;
    this.#relay = undefined;
    await relay.close();
    relay.removeAllListeners();
    this.#log('info', 'relay stopped');
    this.emit('changed', undefined);
  }

  /** The address others should type to reach this relay: a LAN address of this machine, else loopback. */
  shareableAddress(): string | undefined {
    const relay = this.current;
    if (!relay) return undefined;
    const bound = relay.bindAddress;
    if (bound !== '0.0.0.0' && bound !== '::') return formatHostPort(bound, relay.port);
    return formatHostPort(lanAddress() ?? '127.0.0.1', relay.port);
  }
}

/** The first non-internal IPv4 address of this machine. */
export function lanAddress(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

/** True when `host` names this machine (loopback, any-address, or one of its interfaces). */
export function isLocalHost(host: string): boolean {
  if (host === 'localhost' || host === '0.0.0.0' || host === '::' || host === '::1' || host.startsWith('127.')) return true;
  return Object.values(os.networkInterfaces()).some((addresses) => (addresses ?? []).some((address) => address.address === host));
}
