/** Relays and clients on 127.0.0.1 port 0 for network tests, closed after each test by `closeAll()`. */
import { ChatClient, type ChatClientOptions, type ChatText } from '../../src/client/client';
import { createRelayIdentity } from '../../src/protocol/relay-identity';
import { Relay, type RelayOptions } from '../../src/relay/relay';
import { until } from './events';
import { sharedDeriveRoomKeys } from './room-keys';

/** Short timers so eviction and reconnection tests take well under a second or two. */
export const FAST_LIMITS = { heartbeatIntervalMs: 100, memberTimeoutMs: 600 } as const;

const opened: Array<{ close(): unknown }> = [];

/** The test machine's relay identity: a relay restarted on a port is the same relay to the clients that knew it. */
export const RELAY_IDENTITY = createRelayIdentity();

export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const relay = await Relay.start({ host: '127.0.0.1', port: 0, identity: RELAY_IDENTITY, ...options, limits: { ...FAST_LIMITS, ...options.limits } });
  opened.push(relay);
  return relay;
}

export function newClient(relay: Relay | { address: { port: number } }, name: string, options: Partial<ChatClientOptions> = {}): ChatClient {
  const client = new ChatClient({
    relayHost: '127.0.0.1',
    relayPort: relay.address.port,
    name,
    joinRetryMs: 50,
    maxJoinRetryMs: 200,
    // Room keys at full cost, but derived once per passphrase, room and relay salt in the test process.
    deriveRoomKeys: sharedDeriveRoomKeys,
    ...options,
  });
  opened.push(client);
  return client;
}

export async function joinClient(relay: Relay | { address: { port: number } }, name: string, options: Partial<ChatClientOptions> = {}): Promise<ChatClient> {
  const client = newClient(relay, name, options);
  await client.connect();
  return client;
}

/** Closes everything opened since the last call (use in afterEach). */
export async function closeAll(): Promise<void> {
  const toClose = opened.splice(0);
  await Promise.all(toClose.reverse().map(async (item) => item.close()));
}

/** Every text `client` shows from now on, live or from history, in the order shown. */
export function shownTexts(client: ChatClient): ChatText[] {
  const shown: ChatText[] = [];
  client.on('message', (message) => shown.push(message));
  return shown;
}

/** Sends `lines` and waits until the relay has every one of them (none left pending). */
export async function sendAll(client: ChatClient, lines: string[]): Promise<void> {
  const ids = new Set(lines.map((line) => client.sendText(line)));
  await until(() => client.pending().every((update) => !ids.has(update.id)), 'every text to reach the relay');
}
