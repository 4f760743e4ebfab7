/**
 * `udp-chat`: the headless relay and the terminal client. The command lines and the `--json` event lines are a
 * contract other tools script against (docs/cli.md): add to them, never change them.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { defaultDataDir } from '../history/data-dir';
import { defaultIdentityFile, defaultKnownRelaysFile, defaultReplayMarksDir, parseCount, parseHostPort, parsePort, readPassphrase, UsageError } from './args';
import { runJoin } from './join-command';
import { runRelay } from './relay-command';

const USAGE = `usage:
  udp-chat relay [--host 0.0.0.0] [--port 12345] [--json] [--accept-legacy]
                 [--identity-file FILE]       (default ~/.config/udp-chat/relay-identity.key)
                 [--data DIR] [--no-history]  (history kept in DIR, default ~/.local/state/udp-chat)
                 [--history-days 30] [--history-room-mb 64]
  udp-chat join --relay HOST:PORT --name NAME [--room ROOM] [--json] [--save-dir DIR]
                [--passphrase-file FILE]      (or the UDPCHAT_PASSPHRASE environment variable)
                [--known-relays FILE]         (default ~/.config/udp-chat/known-relays.json)
                [--trust-new-relay-key]       (accept a relay whose identity changed)
                [--replay-marks DIR]          (default ~/.config/udp-chat/replay)
                [--history 50]                (earlier messages shown after joining; 0: none)

A passphrase seals the room end to end (everyone in it must use the same one).
join reads standard input: each line is a message; "/image PATH" sends an image;
"/history N" shows N earlier messages; "/quit" or the end of input leaves.
"/help" lists the other commands.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'relay': {
      const { values } = parseArgs({
        args: rest,
        strict: true,
        options: {
          host: { type: 'string', default: '0.0.0.0' },
          port: { type: 'string', default: '12345' },
          json: { type: 'boolean', default: false },
          'accept-legacy': { type: 'boolean', default: false },
          'identity-file': { type: 'string' },
          data: { type: 'string' },
          'no-history': { type: 'boolean', default: false },
          'history-days': { type: 'string', default: '30' },
          'history-room-mb': { type: 'string', default: '64' },
        },
      });
      return runRelay({
        host: values.host,
        port: parsePort(values.port, '--port'),
        json: values.json,
        acceptLegacy: values['accept-legacy'],
        identityFile: values['identity-file'] ?? defaultIdentityFile(),
        dataDir: values['no-history'] ? undefined : path.resolve(values.data ?? defaultDataDir()),
        historyDays: parseCount(values['history-days'], '--history-days', 1),
        historyRoomMb: parseCount(values['history-room-mb'], '--history-room-mb', 1),
      });
    }
    case 'join': {
      const { values } = parseArgs({
        args: rest,
        strict: true,
        options: {
          relay: { type: 'string' },
          name: { type: 'string' },
          room: { type: 'string', default: 'general' },
          json: { type: 'boolean', default: false },
          'save-dir': { type: 'string', default: 'udp-chat-images' },
          'passphrase-file': { type: 'string' },
          'known-relays': { type: 'string' },
          'trust-new-relay-key': { type: 'boolean', default: false },
          'replay-marks': { type: 'string' },
          history: { type: 'string', default: '50' },
        },
      });
      if (!values.relay) throw new UsageError('join needs --relay HOST:PORT');
      if (!values.name) throw new UsageError('join needs --name NAME');
      const relay = parseHostPort(values.relay);
      return runJoin({
        relayHost: relay.host,
        relayPort: relay.port,
        name: values.name,
        room: values.room,
        json: values.json,
        saveDir: values['save-dir'],
        passphrase: await readPassphrase(values['passphrase-file']),
        knownRelaysFile: values['known-relays'] ?? defaultKnownRelaysFile(),
        trustNewRelayKey: values['trust-new-relay-key'],
        replayMarksDir: values['replay-marks'] ?? defaultReplayMarksDir(),
        history: parseCount(values.history, '--history', 0),
      });
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`udp-chat: ${(error as Error).message}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`udp-chat: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
