/** `udp-chat relay`: the relay, headless, for a team's shared machine. */
import { relayHistoryPath } from '../history/data-dir';
import type { HistoryStore } from '../history/store';
import { openThreadedHistoryStore } from '../history/threaded-store';
import { relayFingerprint, type RelayIdentity } from '../protocol/relay-identity';
import { loadRelayIdentity } from '../relay/identity-file';
import { Relay } from '../relay/relay';
import { clock, Output } from './output';

export interface RelayCommandOptions {
  host: string;
  port: number;
  json: boolean;
  acceptLegacy: boolean;
  /** The relay's identity key file (created, 0600, when missing). */
  identityFile: string;
  /** Where the history is kept (its file is relay-history.sqlite inside); undefined: no history (--no-history). */
  dataDir: string | undefined;
  /** Retention: messages older than this many days, and a room's oldest past this many MB, are dropped. */
  historyDays: number;
  historyRoomMb: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function runRelay(options: RelayCommandOptions): Promise<number> {
  const output = new Output(options.json);
  let identity: RelayIdentity;
  try {
    const loaded = await loadRelayIdentity(options.identityFile);
    identity = loaded.identity;
    const fingerprint = relayFingerprint(identity.publicKey);
    output.event(
      { event: 'identity', fingerprint, file: options.identityFile, created: loaded.created },
      `relay identity ${fingerprint} (${loaded.created ? 'new, saved in' : 'from'} ${options.identityFile})`,
    );
  } catch (error) {
    output.error('identity-failed', `cannot load the relay identity from ${options.identityFile}: ${(error as Error).message}`);
    return 1;
  }
  let store: HistoryStore | undefined;
  if (options.dataDir !== undefined) {
    const file = relayHistoryPath(options.dataDir);
    try {
      store = await openThreadedHistoryStore(file);
    } catch (error) {
      output.error('history-failed', `cannot open the history in ${file}: ${(error as Error).message} (--no-history runs without it)`, { file });
      return 1;
    }
    output.event(
      { event: 'history', dir: options.dataDir, file, days: options.historyDays, roomMb: options.historyRoomMb },
      `history in ${file} (kept ${options.historyDays} days, at most ${options.historyRoomMb} MB per room)`,
    );
  } else {
    output.event({ event: 'history', enabled: false }, 'history off: nothing is kept');
  }
  let relay: Relay;
  try {
    relay = await Relay.start({
      history: store ? { store, retention: { maxAgeMs: options.historyDays * DAY_MS, maxRoomBytes: options.historyRoomMb * 1024 * 1024 } } : undefined,
      identity,
      host: options.host,
      port: options.port,
      acceptLegacy: options.acceptLegacy,
      log: (level, message) => {
        if (level !== 'debug') output.log(`${clock()} ${level}: ${message}`);
      },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'EADDRINUSE'
        ? `port ${options.port} on ${options.host} is already in use (another relay?)`
        : code === 'EADDRNOTAVAIL'
          ? `${options.host} is not an address of this machine`
          : (error as Error).message;
    output.error('listen-failed', `cannot start the relay: ${reason}`);
    return 1;
  }
  const { host, port } = relay.address;
  // Listening for the signals before saying so: until a listener exists the kernel's default action applies, and a
  // supervisor that reads the line and stops the relay at once would kill it instead of closing it.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  output.event({ event: 'listening', host, port }, `relay listening on ${host}:${port}`);
  relay.on('join', (member) => {
    output.event(
      { event: 'join', name: member.name, room: member.room, address: member.address, legacy: member.legacy },
      `${clock()} ${member.name} joined ${member.room} from ${member.address}${member.legacy ? ' (legacy)' : ''}`,
    );
  });
  relay.on('leave', (member, reason) => {
    output.event(
      { event: 'leave', name: member.name, room: member.room, reason },
      `${clock()} ${member.name} left ${member.room} (${reason})`,
    );
  });
  const signal = await stopped;
  await relay.close();
  output.event({ event: 'closed', signal }, `relay stopped (${signal})`);
  return 0;
}
