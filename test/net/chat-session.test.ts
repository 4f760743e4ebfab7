import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatSession } from '../../src/extension/chat-session';
import { ImageCompressor } from '../../src/image';
import { ImageFormat } from '../../src/protocol/payload';
import type { EntryView, HostMessage } from '../../src/shared/panel-messages';
import { isHostMessage } from '../../src/shared/panel-messages';
import { closeAll, joinClient, startRelay } from '../support/chat';
import { nextEvent, until } from '../support/events';
import { makeImageBytes, makeImageFile } from '../support/images';

describe('ChatSession (the panel-side conversation)', () => {
  let saveDir = '';
  let compressor: ImageCompressor | undefined;
  const sessions: ChatSession[] = [];

  beforeEach(() => {
    saveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-session-'));
  });

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((session) => session.dispose()));
    await compressor?.dispose();
    compressor = undefined;
    await closeAll();
    fs.rmSync(saveDir, { recursive: true, force: true });
  });

  function newSession(): { session: ChatSession; posted: HostMessage[] } {
    const session = new ChatSession({
      saveDir: () => saveDir,
      compressor: () => (compressor ??= new ImageCompressor()),
      imageOptions: () => ({}),
      log: () => {},
      clientOptions: { joinRetryMs: 50, maxJoinRetryMs: 200 },
    });
    sessions.push(session);
    const posted: HostMessage[] = [];
    session.on('post', (message) => posted.push(message));
    return { session, posted };
  }

  const entries = (posted: HostMessage[]): EntryView[] =>
    posted.flatMap((message) => (message.type === 'entry' ? [message.entry] : []));

  it('posts only messages the webview guard accepts', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const bob = await joinClient(relay, 'bob');
    bob.sendText('<b>hi</b>');
    await until(() => entries(posted).some((entry) => entry.kind === 'text'), 'the text entry');
    for (const message of posted) assert.ok(isHostMessage(message), `rejected by the guard: ${JSON.stringify(message).slice(0, 200)}`);
  });

  it('shows own texts with their delivery state, then delivered', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const id = session.sendText('hello');
    const own = entries(posted).find((entry) => entry.id === id);
    assert.equal(own?.kind, 'text');
    assert.ok(own?.kind === 'text' && own.own && own.delivery?.state === 'sending');
    await until(() => posted.some((message) => message.type === 'delivery' && message.id === id && message.delivery.state === 'delivered'), 'delivered');
  });

  it('keeps the whole conversation in the snapshot a reloaded panel gets', async () => {
    const relay = await startRelay();
    const { session } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const bob = await joinClient(relay, 'bob');
    bob.sendText('one');
    bob.sendText('two');
    await until(() => session.snapshot().entries.filter((entry) => entry.kind === 'text').length === 2, 'two texts');
    const snapshot = session.snapshot();
    assert.deepEqual(
      snapshot.entries.flatMap((entry) => (entry.kind === 'text' ? [entry.text] : [])),
      ['one', 'two'],
    );
    assert.deepEqual(snapshot.members.map((member) => [member.name, member.self]).sort(), [
      ['ann', true],
      ['bob', false],
    ]);
    assert.equal(snapshot.connection, 'connected');
  });

  it('saves a received image and shows it as a data URI; the file opens full size', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const bob = await joinClient(relay, 'bob');
    const jpeg = await makeImageBytes(200, 100, 'image/jpeg');
    const id = bob.sendImage({ data: jpeg, width: 200, height: 100, format: ImageFormat.Jpeg });
    await until(() => entries(posted).some((entry) => entry.id === id), 'the image entry');
    const entry = entries(posted).find((candidate) => candidate.id === id);
    assert.ok(entry?.kind === 'image');
    assert.ok(entry.image.src.startsWith('data:image/jpeg;base64,'));
    const file = session.imageFile(id);
    assert.ok(file && file.startsWith(saveDir));
    assert.ok(fs.readFileSync(file).equals(jpeg));
  });

  it('shows an error and no image when the bytes are not the image they claim to be', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const bob = await joinClient(relay, 'bob');
    const jpeg = await makeImageBytes(200, 100, 'image/jpeg');
    const id = bob.sendImage({ data: jpeg, width: 4000, height: 3000, format: ImageFormat.Jpeg });
    await until(() => entries(posted).some((entry) => entry.kind === 'system' && /not saved/.test(entry.text)), 'the error line');
    assert.ok(!entries(posted).some((entry) => entry.id === id));
    assert.deepEqual(fs.readdirSync(saveDir), []);
  });

  it('compresses and sends an image file, reporting the stages', async () => {
    const relay = await startRelay();
    const { session } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const bob = await joinClient(relay, 'bob');
    const stages: string[] = [];
    const file = await makeImageFile('session-photo.png', 1280, 960, 'image/png');
    const got = nextEvent(bob, 'image', undefined, 20_000);
    const id = await session.sendImageFile(file, (stage) => stages.push(stage));
    const delivery = await session.waitForDelivery(id);
    const [image] = await got;
    assert.deepEqual(stages, ['compressing', 'sending']);
    assert.equal(delivery.state, 'delivered');
    assert.equal(image.width, 640);
    assert.equal(image.height, 480);
    assert.equal(session.imageFile(id), file);
  });

  it('reports a file that is not an image without sending anything', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const notImage = path.join(saveDir, 'notes.jpg');
    fs.writeFileSync(notImage, 'plain text');
    await assert.rejects(session.sendImageFile(notImage), (error: Error & { code?: string }) => error.code === 'unsupported-format');
    assert.ok(entries(posted).some((entry) => entry.kind === 'system' && entry.tone === 'error'));
    assert.equal(session.snapshot().transfers.length, 0);
  });
});
