import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReplayMarkFiles } from '../../src/files/replay-mark-files';
import { decodeReplayMarks } from '../../src/protocol/replay-marks';
import { CliProcess, type CliEvent } from '../support/cli';

const PASSPHRASE = 'blue whale under the ice';
const ROOM = 'ops';

describe('udp-chat join --replay-marks', function () {
  // Every member derives the room keys with scrypt (~0.5 s each).
  this.timeout(60_000);
  const running: CliProcess[] = [];
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-replay-cli-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((child) => child.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A process whose config folder ($XDG_CONFIG_HOME) is `config` inside the test's folder, kept after it exits. */
  function cli(args: string[], config = path.join(dir, 'config')): CliProcess {
    const child = new CliProcess(args, { cwd: dir, env: { XDG_CONFIG_HOME: config, UDPCHAT_PASSPHRASE: PASSPHRASE } });
    running.push(child);
    return child;
  }

  async function relay(): Promise<number> {
    const child = cli(['relay', '--host', '127.0.0.1', '--port', '0', '--json', '--identity-file', path.join(dir, 'relay.key')]);
    const listening = await child.waitForEvent((event) => event.event === 'listening', 'the relay to listen');
    return listening.port as number;
  }

  async function join(port: number, name: string, extra: string[] = [], config?: string): Promise<CliProcess> {
    const member = cli(['join', '--relay', `127.0.0.1:${port}`, '--name', name, '--room', ROOM, '--json', ...extra], config ?? path.join(dir, name));
    await member.waitForEvent((event) => event.event === 'ready', `${name} to be ready`, 30_000);
    return member;
  }

  const isMessage = (text: string) => (event: CliEvent) => event.event === 'message' && event.text === text;

  /** Alice says `text`, `bob` shows it and quits; resolves with bob's exit code. */
  async function bobHears(port: number, bob: CliProcess, text: string): Promise<number | null> {
    const alice = await join(port, 'alice');
    alice.type(text);
    await bob.waitForEvent(isMessage(text), `bob to show "${text}"`);
    bob.type('/quit');
    return bob.exited;
  }

  /** The marks a file holds for bob's scope: one sender (alice), whose counter reached at least 1. */
  function assertMarksOfOneSender(files: ReplayMarkFiles, port: number): void {
    const file = files.fileOf({ relay: `127.0.0.1:${port}`, room: ROOM });
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { relay: string; room: string; marks: string };
    assert.deepEqual([stored.relay, stored.room], [`127.0.0.1:${port}`, ROOM]);
    const decoded = decodeReplayMarks(Buffer.from(stored.marks, 'base64'));
    assert.ok(decoded.ok, JSON.stringify(decoded));
    assert.equal(decoded.marks.length, 1);
    assert.ok((decoded.marks[0]?.counter ?? 0) >= 1);
  }

  it('keeps a sealed room\'s marks in the config folder\'s replay/ by default', async () => {
    const port = await relay();
    const bobConfig = path.join(dir, 'bob-config');
    const bob = await join(port, 'bob', [], bobConfig);
    assert.equal(await bobHears(port, bob, 'hello bob'), 0);
    const defaultDir = path.join(bobConfig, 'udp-chat', 'replay');
    assert.equal(fs.readdirSync(defaultDir).length, 1);
    assertMarksOfOneSender(new ReplayMarkFiles(defaultDir), port);
  });

  it('keeps them in --replay-marks DIR when given, and nothing in the default folder', async () => {
    const port = await relay();
    const bobConfig = path.join(dir, 'bob-config');
    const marksDir = path.join(dir, 'marks');
    const bob = await join(port, 'bob', ['--replay-marks', marksDir], bobConfig);
    assert.equal(await bobHears(port, bob, 'hello bob'), 0);
    assertMarksOfOneSender(new ReplayMarkFiles(marksDir), port);
    assert.equal(fs.existsSync(path.join(bobConfig, 'udp-chat', 'replay')), false);
  });

  it('reports a damaged marks file on standard error, ignores it, chats and writes a sound one', async () => {
    const port = await relay();
    const marksDir = path.join(dir, 'marks');
    const files = new ReplayMarkFiles(marksDir);
    const file = files.fileOf({ relay: `127.0.0.1:${port}`, room: ROOM });
    fs.mkdirSync(marksDir, { recursive: true });
    fs.writeFileSync(file, '{"relay": "127.0.0.1", "marks": ');
    const bob = await join(port, 'bob', ['--replay-marks', marksDir]);
    assert.equal(await bobHears(port, bob, 'still chatting'), 0);
    assert.match(bob.stderr.join('\n'), /could not load the replay marks of room "ops" at 127\.0\.0\.1:\d+.*is not JSON/);
    assert.equal(bob.events.some((event) => event.event === 'error'), false, JSON.stringify(bob.events));
    assertMarksOfOneSender(files, port);
  });
});
