/** `udp-chat relay`: the relay, headless, for a team's shared machine. */
import { Relay } from '../relay/relay';
import { clock, Output } from './output';

export interface RelayCommandOptions {
  host: string;
  port: number;
  json: boolean;
  acceptLegacy: boolean;
}

export async function runRelay(options: RelayCommandOptions): Promise<number> {
  const output = new Output(options.json);
  let relay: Relay;
  try {
    relay = await Relay.start({
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
