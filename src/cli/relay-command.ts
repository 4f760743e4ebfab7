/** `udp-chat relay`: the relay, headless, for a team's shared machine. */
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
}

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
  let relay: Relay;
  try {
    relay = await Relay.start({
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
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await relay.close();
  output.event({ event: 'closed', signal }, `relay stopped (${signal})`);
  return 0;
}
