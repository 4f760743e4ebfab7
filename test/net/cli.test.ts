import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { cliWorkspace, type CliEvent, type CliProcess } from '../support/cli';
import { makeImageFile } from '../support/images';

describe('udp-chat command line', () => {
  const workspace = cliWorkspace('udpchat-cli-');
  const { cli } = workspace;

  async function startRelay(extra: string[] = []): Promise<{ relay: CliProcess; port: number }> {
    const relay = cli(['relay', '--host', '127.0.0.1', '--port', '0', '--json', ...extra]);
    const listening = await relay.waitForEvent((event) => event.event === 'listening', 'the relay to listen');
    assert.equal(listening.host, '127.0.0.1');
    assert.equal(typeof listening.port, 'number');
    return { relay, port: listening.port as number };
  }

  async function join(port: number, name: string, extra: string[] = []): Promise<CliProcess> {
    const member = cli(['join', '--relay', `127.0.0.1:${port}`, '--name', name, '--json', '--save-dir', path.join(workspace.dir, name), ...extra]);
    await member.waitForEvent((event) => event.event === 'ready', `${name} to be ready`);
    return member;
  }

  const isMessage = (from: string, text: string) => (event: CliEvent) => event.event === 'message' && event.from === from && event.text === text;

  it('prints the listening line in plain mode', async () => {
    const relay = cli(['relay', '--host', '127.0.0.1', '--port', '0']);
    const line = await relay.waitForLine(/^relay listening on /);
    assert.match(line, /^relay listening on 127\.0\.0\.1:\d+$/);
    relay.signal('SIGTERM');
    assert.equal(await relay.exited, 0);
  });

  it('lets three members chat in text and images, then quit', async () => {
    const { port } = await startRelay();
    const alice = await join(port, 'alice');
    const bob = await join(port, 'bob');
    const carol = await join(port, 'carol');
    const ready = carol.events.find((event) => event.event === 'ready');
    assert.deepEqual(ready, { event: 'ready', name: 'carol', room: 'general', members: ['alice', 'bob', 'carol'], encrypted: false });
    await alice.waitForEvent((event) => event.event === 'join' && event.name === 'carol', 'alice to see carol join');

    alice.type('hi from alice');
    for (const member of [bob, carol]) {
      const message = await member.waitForEvent(isMessage('alice', 'hi from alice'), 'the text');
      assert.match(String(message.id), /^[0-9a-f]{16}$/);
      assert.ok(Math.abs(Number(message.ts) - Date.now()) < 60_000);
    }

    const photo = await makeImageFile('photo-12mp.jpg', 4000, 3000, 'image/jpeg');
    bob.type(`/image ${photo}`);
    for (const member of [alice, carol]) {
      const image = await member.waitForEvent((event) => event.event === 'image' && event.from === 'bob', 'the image', 30_000);
      assert.ok(path.isAbsolute(String(image.file)));
      assert.ok(String(image.file).startsWith(workspace.dir));
      assert.equal(fs.statSync(String(image.file)).size, image.bytes);
      assert.equal(image.width, 640);
      assert.equal(image.height, 480);
    }

    carol.type('/quit');
    assert.equal(await carol.exited, 0);
    const left = await alice.waitForEvent((event) => event.event === 'leave' && event.name === 'carol', 'carol to leave');
    assert.equal(left.reason, 'quit');
    alice.endInput();
    bob.endInput();
    assert.equal(await alice.exited, 0);
    assert.equal(await bob.exited, 0);
  });

  it('prints readable lines without --json', async () => {
    const { port } = await startRelay();
    const alice = await join(port, 'alice');
    const bob = cli(['join', '--relay', `127.0.0.1:${port}`, '--name', 'bob']);
    await bob.waitForLine(/joined general as bob/);
    alice.type('plain hello');
    const line = await bob.waitForLine(/alice: plain hello/);
    assert.match(line, /^\[\d\d:\d\d\] alice: plain hello$/);
  });

  it('delivers lines piped in before the relay answered, then exits at end of input', async () => {
    const { port } = await startRelay();
    const bob = await join(port, 'bob');
    const alice = cli(['join', '--relay', `127.0.0.1:${port}`, '--name', 'alice', '--json']);
    alice.type('first');
    alice.type('second');
    alice.endInput();
    assert.equal(await alice.exited, 0);
    await bob.waitForEvent(isMessage('alice', 'first'), 'first');
    await bob.waitForEvent(isMessage('alice', 'second'), 'second');
    const texts = bob.events.filter((event) => event.event === 'message').map((event) => event.text);
    assert.deepEqual(texts, ['first', 'second']);
  });

  it('reports a taken name and exits with status 1', async () => {
    const { port } = await startRelay();
    await join(port, 'alice');
    const impostor = cli(['join', '--relay', `127.0.0.1:${port}`, '--name', 'alice', '--json']);
    const error = await impostor.waitForEvent((event) => event.event === 'error', 'the error');
    assert.equal(error.code, 'name-taken');
    assert.equal(await impostor.exited, 1);
  });

  it('reports an image it cannot send and keeps running', async () => {
    const { port } = await startRelay();
    const alice = await join(port, 'alice');
    const bob = await join(port, 'bob');
    fs.writeFileSync(path.join(workspace.dir, 'notes.png'), 'this is not a picture');
    alice.type(`/image ${path.join(workspace.dir, 'missing.jpg')}`);
    alice.type(`/image ${path.join(workspace.dir, 'notes.png')}`);
    alice.type('after the errors');
    const errors = await (async () => {
      await bob.waitForEvent(isMessage('alice', 'after the errors'), 'the text after the errors');
      return alice.events.filter((event) => event.event === 'error');
    })();
    assert.deepEqual(errors.map((event) => event.code), ['unreadable', 'unsupported-format']);
  });

  it('tells members when the relay stops, and the relay exits 0', async () => {
    // The relay's heartbeat is 2 s, so silence would be noticed only after 6 s: within 1 s, only the relay's
    // signed ShuttingDown can have told them.
    const { relay, port } = await startRelay();
    const alice = await join(port, 'alice');
    const bob = await join(port, 'bob');
    const stoppedAt = Date.now();
    relay.signal('SIGTERM');
    for (const member of [alice, bob]) {
      const state = await member.waitForEvent((event) => event.event === 'state' && event.state === 'reconnecting', 'the shutdown', 1000);
      assert.equal(state.reason, 'relay-shutdown');
      assert.match(String(state.detail), /relay-shutdown/);
    }
    assert.ok(Date.now() - stoppedAt < 1000, `noticed after ${Date.now() - stoppedAt} ms`);
    assert.equal(await relay.exited, 0);
  });

  it('rejoins by itself when the stopped relay is back', async () => {
    const { relay, port } = await startRelay();
    const alice = await join(port, 'alice');
    relay.signal('SIGTERM');
    await alice.waitForEvent((event) => event.event === 'state' && event.reason === 'relay-shutdown', 'the shutdown', 1000);
    assert.equal(await relay.exited, 0);
    await startRelay(['--port', String(port)]);
    const back = await alice.waitForEvent((event) => event.event === 'state' && event.state === 'connected', 'alice to be back', 5000);
    assert.equal(back.reason, 'joined');
  });

  it('exits within 2 s when told to /quit while the relay never answers', async () => {
    const silent = dgram.createSocket('udp4');
    let joins = 0;
    silent.on('message', () => joins++);
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const alice = cli(['join', '--relay', `127.0.0.1:${silent.address().port}`, '--name', 'alice', '--json']);
      alice.type('typed while nobody answers');
      await alice.waitForEvent((event) => event.event === 'sent', 'the line to be queued');
      const quitAt = Date.now();
      alice.type('/quit');
      assert.equal(await alice.exited, 0);
      assert.ok(Date.now() - quitAt < 2000, `exited ${Date.now() - quitAt} ms after /quit`);
      assert.ok(joins > 0, 'it never tried to join');
      const error = alice.events.find((event) => event.event === 'error');
      assert.equal(error?.code, 'not-delivered');
    } finally {
      silent.close();
    }
  });

  it('rejects bad arguments with usage and status 2', async () => {
    const bad = cli(['join', '--relay', 'nowhere', '--name', 'x']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr.join('\n'), /--relay must be HOST:PORT/);
  });
});
