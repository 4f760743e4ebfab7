/** `udp-chat join`: a terminal member of a room. Standard input in, chat events out. */
import path from 'node:path';
import readline from 'node:readline';
import { ChatClient, ChatClientError, type ChatImage } from '../client/client';
import { ReplayMarkFiles } from '../files/replay-mark-files';
import { saveReceivedImage } from '../files/save-image';
import { DEFAULT_COMPRESS_OPTIONS, ImageCompressor, ImageError } from '../image';
import { ImageFormat } from '../protocol/payload';
import { formatHostPort } from '../protocol/address';
import { ACTION_HELP, runActionCommand, showActions } from './chat-actions';
import { readKnownRelays, writeKnownRelays } from './known-relays';
import { clock, formatBytes, Output } from './output';
import { shareSnippet, SNIPPET_HELP } from './snippet-command';
import { snippetEvent, snippetText } from './snippet-output';

export interface JoinCommandOptions {
  relayHost: string;
  relayPort: number;
  name: string;
  room: string;
  json: boolean;
  saveDir: string;
  /** Seals the room end to end; undefined: an open room. */
  passphrase: string | undefined;
  /** Relay identities pinned on first use, by host:port. */
  knownRelaysFile: string;
  /** Accept (and pin) the relay's identity even when it differs from the pinned one. */
  trustNewRelayKey: boolean;
  /** Where a sealed room's replay marks are kept between runs (one file per relay and room). */
  replayMarksDir: string;
  /** Earlier messages shown after joining (0: none). */
  history: number;
}

/** How long (ms) leaving waits for messages still on their way to the relay. */
const DRAIN_WAIT_MS = 10_000;
/**
 * How long (ms) leaving waits while the relay has not answered at all: a relay on a LAN answers a Join within
 * milliseconds, so one silent this long is not there, and `/quit` must not hang on it.
 */
const UNANSWERED_DRAIN_WAIT_MS = 1000;
/** How often (ms) draining looks at what is still pending. */
const DRAIN_POLL_MS = 50;
/** Largest image (pixels) accepted from the network: the client drops bigger ones before they are saved. */
const MAX_RECEIVED_PIXELS = DEFAULT_COMPRESS_OPTIONS.maxInputPixels;

const HELP = `commands:
  /image PATH   send an image (PNG, JPEG, GIF, BMP, TIFF; compressed before sending)
${SNIPPET_HELP}
  /members      list the members of the room
  /stats        transport statistics (round trip, loss, retransmissions)
  /retry ID     send a failed message again
  /history N    show N earlier messages
${ACTION_HELP}
  /quit         leave (also: end of input)
  //text        send a line that starts with "/"`;

export async function runJoin(options: JoinCommandOptions): Promise<number> {
  const output = new Output(options.json);
  const where = formatHostPort(options.relayHost, options.relayPort);
  let pins: Map<string, string>;
  try {
    pins = await readKnownRelays(options.knownRelaysFile);
  } catch (error) {
    output.error('known-relays-failed', `cannot read the known relays file ${options.knownRelaysFile}: ${(error as Error).message}`);
    return 1;
  }
  const previous = pins.get(where);
  let change: { was: string; now: string } | undefined;
  let client: ChatClient;
  try {
    client = new ChatClient({
      relayIdentity: {
        pinned: () => (options.trustNewRelayKey ? undefined : previous),
        onFirstUse: (_relay, fingerprint) => void pinRelay(fingerprint),
        onChanged: (_relay, was, now) => {
          change = { was, now };
        },
      },
      relayHost: options.relayHost,
      relayPort: options.relayPort,
      name: options.name,
      room: options.room,
      passphrase: options.passphrase,
      maxImageMegapixels: MAX_RECEIVED_PIXELS / 1e6,
      history: { initial: options.history },
      // A damaged or unwritable marks file costs only the protection across restarts: said on standard error.
      replayMarks: new ReplayMarkFiles(options.replayMarksDir, (message) => output.log(`! ${message}`)),
    });
  } catch (error) {
    output.error((error as ChatClientError).code ?? 'invalid', (error as Error).message);
    return 1;
  }
  const saveDir = path.resolve(options.saveDir);
  let compressor: ImageCompressor | undefined;
  let fatal = false;

  client.on('state', (state, detail, reason) => {
    output.event({ event: 'state', state, reason, detail }, `${clock()} * ${state}: ${detail}`);
  });
  client.on('ready', (info) => {
    if (info.rejoined) return; // the 'state' event already said we are back
    const members = info.members.map((member) => member.name);
    output.event(
      { event: 'ready', name: info.name, room: info.room, members, encrypted: client.encrypted },
      `${clock()} * joined ${info.room} as ${info.name} (${client.encrypted ? 'end-to-end encrypted' : 'unencrypted'}); members: ${members.join(', ')}`,
    );
  });
  client.on('memberJoined', (member) => {
    output.event({ event: 'join', name: member.name, legacy: member.legacy }, `${clock()} * ${member.name} joined`);
  });
  client.on('memberLeft', (member, reason) => {
    output.event({ event: 'leave', name: member.name, reason }, `${clock()} * ${member.name} left (${reason})`);
  });
  // Printed in the order they arrive, images included (saved first): a backlog-end follows its page's messages.
  let printing = Promise.resolve();
  const inOrder = (print: () => void | Promise<void>): void => {
    printing = printing.then(print).catch(() => undefined);
  };
  /** The oldest number shown: /history asks for what is before it. */
  let oldestShown: number | undefined;
  const noteShown = (seq: number | undefined): void => {
    if (seq !== undefined && (oldestShown === undefined || seq < oldestShown)) oldestShown = seq;
  };
  client.on('message', (message) => {
    noteShown(message.seq);
    const { snippet } = message;
    if (snippet) return inOrder(() => output.event(snippetEvent({ ...message, snippet }), snippetText({ ...message, snippet })));
    inOrder(() =>
      output.event(
        {
          event: 'message',
          from: message.from,
          text: message.text,
          id: message.id,
          ts: message.sentAt,
          ...(message.backlog ? { backlog: true, storedAt: message.storedAt } : {}),
          ...(message.replyTo ? { replyTo: message.replyTo } : {}),
          ...(message.mentions ? { mentions: message.mentions } : {}),
        },
        `${clock(message.sentAt)} ${message.from}${message.replyTo ? ` (replying to ${message.replyTo})` : ''}: ${message.text}`,
      ),
    );
  });
  client.on('image', (image) => {
    noteShown(image.seq);
    inOrder(() => onImage(image));
  });
  client.on('backlog-end', (end) => inOrder(() => printBacklogEnd(end.count)));
  showActions(client, output, inOrder);

  function printBacklogEnd(count: number): void {
    output.event({ event: 'backlog-end', count }, `${clock()} * ${count} earlier message${count === 1 ? '' : 's'} above`);
  }

  async function showHistory(argument: string): Promise<void> {
    const count = /^\d{1,4}$/.test(argument) ? Number(argument) : NaN;
    if (!(count > 0)) {
      output.error('usage', 'usage: /history N (1 to 9999)');
      return;
    }
    const latest = client.latestSeq;
    const before = oldestShown ?? (latest === undefined ? 0 : latest + 1);
    const result = await client.requestHistory({ before, limit: count });
    inOrder(() => printBacklogEnd(result.count));
  }
  client.on('delivery', (update) => {
    if (update.state === 'failed') {
      output.error('not-delivered', `message ${update.id} was not delivered: ${update.reason ?? 'unknown reason'} (/retry ${update.id})`, {
        id: update.id,
      });
      return;
    }
    if (options.json && (update.state === 'delivered' || update.state === 'queued')) {
      output.event({ event: 'delivery', id: update.id, state: update.state }, undefined);
    }
  });
  client.on('error', (problem) => {
    if (problem.fatal) fatal = true;
    if (problem.code === 'relay-key-changed' && change) {
      output.error(problem.code, `${problem.message} (--trust-new-relay-key accepts it)`, { relay: where, was: change.was, now: change.now });
      return;
    }
    output.error(problem.code, problem.message, problem.messageId ? { id: problem.messageId } : {});
  });

  /** The relay proved an identity nobody pinned here (or --trust-new-relay-key replaces the pin): keep it. */
  async function pinRelay(fingerprint: string): Promise<void> {
    const pinned = previous === undefined ? 'first-use' : previous === fingerprint ? 'known' : 'replaced';
    output.event(
      { event: 'relay-key', relay: where, fingerprint, pinned, ...(pinned === 'replaced' ? { previous } : {}) },
      `${clock()} * relay ${where} has identity ${fingerprint}` +
        (pinned === 'first-use' ? ' (first use: pinned)' : pinned === 'replaced' ? ` (replaces ${previous})` : ''),
    );
    if (pinned === 'known') return;
    pins.set(where, fingerprint);
    try {
      await writeKnownRelays(options.knownRelaysFile, pins);
    } catch (error) {
      output.error('known-relays-failed', `cannot save the relay's identity in ${options.knownRelaysFile}: ${(error as Error).message}`);
    }
  }

  async function onImage(image: ChatImage): Promise<void> {
    try {
      const file = await saveReceivedImage(saveDir, image, MAX_RECEIVED_PIXELS);
      output.event(
        {
          event: 'image',
          from: image.from,
          file,
          width: image.width,
          height: image.height,
          bytes: image.data.length,
          id: image.id,
          ts: image.sentAt,
          ...(image.backlog ? { backlog: true, storedAt: image.storedAt } : {}),
        },
        `${clock(image.sentAt)} ${image.from} sent an image: ${file} (${image.width}x${image.height}, ${formatBytes(image.data.length)})`,
      );
    } catch (error) {
      output.error((error as { code?: string }).code ?? 'save-failed', (error as Error).message, { id: image.id });
    }
  }

  async function sendImage(file: string): Promise<void> {
    compressor ??= new ImageCompressor();
    const absolute = path.resolve(file);
    try {
      output.event({ event: 'compressing', file: absolute }, `${clock()} * compressing ${absolute}`);
      const image = await compressor.compressFile(absolute);
      const id = client.sendImage({ data: image.data, width: image.width, height: image.height, format: ImageFormat.Jpeg });
      output.event(
        { event: 'sent', id, kind: 'image', file: absolute, width: image.width, height: image.height, bytes: image.data.length },
        `${clock()} * sending image (${image.width}x${image.height}, ${formatBytes(image.data.length)})`,
      );
    } catch (error) {
      const code = error instanceof ImageError || error instanceof ChatClientError ? error.code : 'image-failed';
      output.error(code, (error as Error).message, { file: absolute });
    }
  }

  function sendText(text: string): void {
    try {
      const id = client.sendText(text);
      if (options.json) output.event({ event: 'sent', id, kind: 'text', text }, undefined);
    } catch (error) {
      output.error((error as ChatClientError).code ?? 'send-failed', (error as Error).message);
    }
  }

  /** Handles one line; returns false when it asks to leave. */
  async function onLine(line: string): Promise<boolean> {
    if (line.trim().length === 0) return true;
    if (line.startsWith('//')) {
      sendText(line.slice(1));
      return true;
    }
    if (!line.startsWith('/')) {
      sendText(line);
      return true;
    }
    const [command = '', ...words] = line.slice(1).split(' ');
    const argument = words.join(' ').trim();
    switch (command) {
      case 'quit':
        return false;
      case 'image':
        if (!argument) output.error('usage', 'usage: /image PATH');
        else await sendImage(argument);
        return true;
      case 'snippet':
        await shareSnippet(argument, client, output);
        return true;
      case 'members': {
        const names = client.members.map((member) => member.name + (member.legacy ? ' (legacy)' : ''));
        output.event({ event: 'members', members: names }, `* members: ${names.join(', ')}`);
        return true;
      }
      case 'stats': {
        const stats = client.stats();
        if (!stats) output.event({ event: 'stats', state: client.state }, `* not connected (${client.state})`);
        else {
          output.event(
            { event: 'stats', state: client.state, ...stats },
            `* round trip ${stats.pathRttMs === undefined ? 'unknown' : `${stats.pathRttMs.toFixed(1)} ms`}, loss ${stats.lossPercent.toFixed(1)} %, ` +
              `${stats.retransmitted} retransmissions of ${stats.sent} datagrams`,
          );
        }
        return true;
      }
      case 'history':
        await showHistory(argument);
        return true;
      case 'retry':
        if (!client.retry(argument)) output.error('retry-failed', `there is no failed message ${argument}`);
        return true;
      case 'help':
        output.event({ event: 'help', text: HELP }, HELP);
        return true;
      default:
        if (runActionCommand(command, argument, client, output)) return true;
        output.error('unknown-command', `unknown command /${command}; /help lists the commands`);
        return true;
    }
  }

  const connected = client.connect().catch((error: unknown) => {
    // `closed`: we left (or were stopped) before the relay answered; that is a normal end, not a failure.
    if (error instanceof ChatClientError && error.code === 'closed') return;
    fatal = true;
    if (!(error instanceof ChatClientError)) output.error('connect-failed', (error as Error).message);
  });

  // Lines are handled one at a time, in order: a text typed after "/image" goes after the image.
  const input = readline.createInterface({ input: process.stdin, terminal: false });
  const stopSignals = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const lines = (async (): Promise<void> => {
    for await (const line of input) {
      if (fatal || !(await onLine(line))) break;
    }
  })();
  await Promise.race([lines, stopSignals, connected.then(() => (fatal ? undefined : new Promise<void>(() => {})))]);
  input.close();

  if (!fatal) {
    await drain(client, output);
    await client.leave();
  } else {
    client.close();
  }
  await compressor?.dispose();
  return fatal ? 1 : 0;
}

/** Waits (bounded) until everything sent has reached the relay or failed. */
async function drain(client: ChatClient, output: Output): Promise<void> {
  const waiting = (): number => client.pending().filter((update) => update.state !== 'failed').length;
  if (waiting() === 0) return;
  output.log(`* waiting for ${waiting()} message(s) to reach the relay`);
  const started = Date.now();
  const limit = (): number => (client.state === 'connecting' ? UNANSWERED_DRAIN_WAIT_MS : DRAIN_WAIT_MS);
  while (waiting() > 0 && Date.now() - started < limit() && client.state !== 'closed') {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
  for (const update of client.pending()) {
    if (update.state !== 'failed') output.error('not-delivered', `message ${update.id} did not reach the relay before leaving`, { id: update.id });
  }
}
