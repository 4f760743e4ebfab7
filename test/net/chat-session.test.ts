import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatSession, type ChatSessionOptions, type SessionFailure } from '../../src/extension/chat-session';
import { ImageCompressor } from '../../src/image';
import { ImageFormat } from '../../src/protocol/payload';
import { Relay } from '../../src/relay/relay';
import type { DeliveryView, EntryView, HostMessage } from '../../src/shared/panel-messages';
import { isHostMessage } from '../../src/shared/panel-messages';
import { closeAll, FAST_LIMITS, joinClient, RELAY_IDENTITY, startRelay } from '../support/chat';
import { collect, nextEvent, until } from '../support/events';
import { makeImageBytes, makeImageFile } from '../support/images';
import { LossyProxy } from '../support/lossy-proxy';

/** What the panel's webview would load an image from: an http(s) URL of the saved file, as asWebviewUri gives. */
const imageSrc = (file: string): string => `https://file.webview.test${encodeURI(file)}`;

/** Resolves with the promise's value, or with 'still open' if it has not settled after `ms`. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'still open'> {
  let timer: NodeJS.Timeout | undefined;
  const open = new Promise<'still open'>((resolve) => (timer = setTimeout(() => resolve('still open'), ms)));
  try {
    return await Promise.race([promise, open]);
  } finally {
    clearTimeout(timer);
  }
}

describe('ChatSession (the panel-side conversation)', () => {
  let saveDir = '';
  let compressor: ImageCompressor | undefined;
  const sessions: ChatSession[] = [];
  const extras: Array<{ close(): unknown }> = [];

  beforeEach(() => {
    saveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-session-'));
  });

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((session) => session.dispose()));
    await compressor?.dispose();
    compressor = undefined;
    await Promise.all(extras.splice(0).map(async (item) => item.close()));
    await closeAll();
    fs.rmSync(saveDir, { recursive: true, force: true });
  });

  function newSession(options: Partial<ChatSessionOptions> = {}): { session: ChatSession; posted: HostMessage[]; failures: SessionFailure[] } {
    const session = new ChatSession({
      saveDir: () => path.join(saveDir, 'received'),
      sentDir: () => path.join(saveDir, 'sent'),
      saveQuotaBytes: () => 500 * 1024 * 1024,
      imageSrc,
      compressor: () => (compressor ??= new ImageCompressor()),
      imageOptions: () => ({}),
      log: () => {},
      ...options,
      clientOptions: { joinRetryMs: 50, maxJoinRetryMs: 200, ...options.clientOptions },
    });
    sessions.push(session);
    const posted: HostMessage[] = [];
    const failures: SessionFailure[] = [];
    session.on('post', (message) => posted.push(message));
    session.on('failed', (failure) => failures.push(failure));
    return { session, posted, failures };
  }

  const join = (session: ChatSession, port: number, room = 'general', passphrase?: string) =>
    session.join({ relayHost: '127.0.0.1', relayPort: port, name: 'ann', room, passphrase });
  const entries = (posted: HostMessage[]): EntryView[] => posted.flatMap((message) => (message.type === 'entry' ? [message.entry] : []));
  const systemLines = (posted: HostMessage[], tone: 'info' | 'warning' | 'error'): string[] =>
    entries(posted).flatMap((entry) => (entry.kind === 'system' && entry.tone === tone ? [entry.text] : []));
  /** Transfer rows opened and never ended, as the panel would still show them. */
  const openRows = (posted: HostMessage[]): string[] => {
    const open = new Set<string>();
    for (const message of posted) {
      if (message.type === 'transfer') open.add(message.transfer.id);
      if (message.type === 'transferDone') open.delete(message.id);
      if (message.type === 'state') for (const id of [...open]) if (!message.state.transfers.some((t) => t.id === id)) open.delete(id);
    }
    return [...open];
  };

  it('posts only messages the webview guard accepts', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await join(session, relay.address.port);
    const bob = await joinClient(relay, 'bob');
    bob.sendText('<b>hi</b>');
    bob.sendImage({ data: await makeImageBytes(40, 30, 'image/jpeg'), width: 40, height: 30, format: ImageFormat.Jpeg });
    await until(() => entries(posted).some((entry) => entry.kind === 'image'), 'the image entry');
    for (const message of posted) assert.ok(isHostMessage(message), `rejected by the guard: ${JSON.stringify(message).slice(0, 200)}`);
  });

  it('shows own texts with their delivery state, then delivered', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await join(session, relay.address.port);
    const id = session.sendText('hello');
    const own = entries(posted).find((entry) => entry.id === id);
    assert.ok(own?.kind === 'text' && own.own && own.delivery?.state === 'sending', `own text entry: ${JSON.stringify(own)}`);
    await until(() => posted.some((message) => message.type === 'delivery' && message.id === id && message.delivery.state === 'delivered'), 'delivered');
  });

  it('keeps the whole conversation in the snapshot a reloaded panel gets', async () => {
    const relay = await startRelay();
    const { session } = newSession();
    await join(session, relay.address.port);
    const bob = await joinClient(relay, 'bob');
    bob.sendText('one');
    bob.sendText('two');
    await until(() => session.snapshot().entries.filter((entry) => entry.kind === 'text').length === 2, 'two texts');
    const snapshot = session.snapshot();
    assert.deepEqual(snapshot.entries.flatMap((entry) => (entry.kind === 'text' ? [entry.text] : [])), ['one', 'two']);
    assert.deepEqual(snapshot.members.map((member) => [member.name, member.self]).sort(), [['ann', true], ['bob', false]]);
    assert.equal(snapshot.connection, 'connected');
  });

  it('shows a received image from its saved file, never as a data: URI, and a snapshot carries only its URL', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await join(session, relay.address.port);
    const bob = await joinClient(relay, 'bob');
    const jpeg = await makeImageBytes(200, 100, 'image/jpeg');
    const id = bob.sendImage({ data: jpeg, width: 200, height: 100, format: ImageFormat.Jpeg });
    await until(() => entries(posted).some((entry) => entry.id === id), 'the image entry');
    const file = session.imageFile(id);
    assert.ok(file && file.startsWith(path.join(saveDir, 'received')), `saved as ${file}`);
    assert.ok(fs.readFileSync(file).equals(jpeg), 'the saved bytes differ');
    const entry = entries(posted).find((candidate) => candidate.id === id);
    assert.ok(entry?.kind === 'image', 'no image entry');
    assert.equal(entry.image.src, imageSrc(file));
    const snapshot = JSON.stringify(session.snapshot());
    assert.ok(!snapshot.includes('data:'), 'the snapshot carries a data: URI');
    assert.ok(snapshot.length < 4096, `the snapshot is ${snapshot.length} characters for one small image`);
    assert.ok(session.imageFolders().includes(path.dirname(file)), 'the panel may not load the saved file');
  });

  it('shows an error and no image when the bytes are not the image they claim to be', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await join(session, relay.address.port);
    const bob = await joinClient(relay, 'bob');
    const jpeg = await makeImageBytes(200, 100, 'image/jpeg');
    const id = bob.sendImage({ data: jpeg, width: 400, height: 300, format: ImageFormat.Jpeg });
    await until(() => systemLines(posted, 'error').some((text) => /not saved/.test(text)), 'the error line');
    assert.ok(!entries(posted).some((entry) => entry.id === id), 'the mismatched image is shown');
    assert.ok(!fs.existsSync(path.join(saveDir, 'received')) || fs.readdirSync(path.join(saveDir, 'received')).length === 0, 'a file was saved');
  });

  it('refuses a received image over the maxMegapixels setting and ends its row', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession({ imageOptions: () => ({ maxInputPixels: 1_000_000 }) });
    await join(session, relay.address.port);
    const bob = await joinClient(relay, 'bob');
    const big = bob.sendImage({ data: await makeImageBytes(1250, 1000, 'image/jpeg', 30), width: 1250, height: 1000, format: ImageFormat.Jpeg });
    const small = bob.sendImage({ data: await makeImageBytes(100, 80, 'image/jpeg'), width: 100, height: 80, format: ImageFormat.Jpeg });
    await until(() => entries(posted).some((entry) => entry.id === small), 'the small image (sent after the big one)');
    assert.ok(!entries(posted).some((entry) => entry.id === big), 'the 1.25 MP image is shown despite the 1 MP setting');
    assert.equal(session.imageFile(big), undefined);
    assert.deepEqual(openRows(posted), []);
  });

  it('compresses and sends an image file, reporting the stages, and shows it from a saved copy', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await join(session, relay.address.port);
    const bob = await joinClient(relay, 'bob');
    const stages: string[] = [];
    const file = await makeImageFile('session-photo.png', 1280, 960, 'image/png');
    const got = nextEvent(bob, 'image', undefined, 20_000);
    const id = await session.sendImageFile(file, (stage) => stages.push(stage));
    const delivery = await session.waitForDelivery(id);
    const [image] = await got;
    assert.deepEqual(stages, ['compressing', 'sending']);
    assert.equal(delivery.state, 'delivered');
    assert.equal([image.width, image.height].join('x'), '640x480');
    assert.equal(session.imageFile(id), file);
    await until(() => entries(posted).some((entry) => entry.id === id && entry.kind === 'image' && entry.image.src !== undefined), 'the inline copy');
    const shown = entries(posted).filter((entry) => entry.id === id).pop();
    assert.ok(shown?.kind === 'image' && shown.image.src?.startsWith(imageSrc(path.join(saveDir, 'sent'))), `shown from ${JSON.stringify(shown)}`);
  });

  it('reports a file that is not an image without sending anything', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await join(session, relay.address.port);
    const notImage = path.join(saveDir, 'notes.jpg');
    fs.writeFileSync(notImage, 'plain text');
    await assert.rejects(session.sendImageFile(notImage), (error: Error & { code?: string }) => error.code === 'unsupported-format');
    assert.ok(systemLines(posted, 'error').length > 0, 'no error line');
    assert.equal(session.snapshot().transfers.length, 0);
  });

  it('marks an image whose file the disk quota deleted as no longer saved', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession({ saveQuotaBytes: () => 1 }); // every new image pushes out the one before
    await join(session, relay.address.port);
    const bob = await joinClient(relay, 'bob');
    const first = bob.sendImage({ data: await makeImageBytes(60, 40, 'image/jpeg'), width: 60, height: 40, format: ImageFormat.Jpeg });
    await until(() => session.imageFile(first) !== undefined, 'the first image saved');
    const firstFile = session.imageFile(first) as string;
    const second = bob.sendImage({ data: await makeImageBytes(60, 40, 'image/jpeg', 90, 9), width: 60, height: 40, format: ImageFormat.Jpeg });
    await until(() => entries(posted).some((entry) => entry.id === first && entry.kind === 'image' && entry.image.src === undefined), 'the first image marked gone');
    assert.ok(!fs.existsSync(firstFile), 'the quota left the oldest file');
    assert.ok(fs.existsSync(session.imageFile(second) as string), 'the quota deleted the newest file');
    assert.equal(session.imageFile(first), undefined);
  });

  it('discards a failed message at the user\'s word: it then says "not sent" and cannot be retried', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession({ clientOptions: { deliveryTimeoutMs: 300 } });
    await join(session, relay.address.port);
    await relay.close();
    const id = session.sendText('never to arrive');
    assert.equal((await session.waitForDelivery(id)).state, 'failed');
    assert.equal(session.discard(id), true);
    const last = posted.filter((message) => message.type === 'delivery' && message.id === id).pop();
    assert.deepEqual(last?.type === 'delivery' && [last.delivery.state, last.delivery.discarded], ['failed', true]);
    assert.equal(session.retry(id), false);
  });

  describe('every promise settles', () => {
    /** A text the relay can never acknowledge: the relay is gone, so it waits in the outbox. */
    async function pendingText(): Promise<{ session: ChatSession; posted: HostMessage[]; failures: SessionFailure[]; waiting: Promise<DeliveryView> }> {
      const relay = await startRelay();
      const parts = newSession();
      await join(parts.session, relay.address.port);
      await relay.close();
      const id = parts.session.sendText('into the void');
      const waiting = parts.session.waitForDelivery(id);
      assert.equal(await settledWithin(waiting, 100), 'still open', 'a text to a stopped relay was settled at once');
      return { ...parts, waiting };
    }

    it('ends waitForDelivery as failed when the user leaves', async () => {
      const { session, waiting } = await pendingText();
      await session.leave();
      const outcome = await settledWithin(waiting, 2000);
      assert.ok(outcome !== 'still open', 'waitForDelivery never settled after leave');
      assert.equal(outcome.state, 'failed');
      assert.match(outcome.reason ?? '', /left the room/);
      assert.equal(session.waitingForDelivery, 0);
    });

    it('ends waitForDelivery as failed when the session is disposed (shutdown)', async () => {
      const { session, waiting } = await pendingText();
      await session.dispose();
      const outcome = await settledWithin(waiting, 2000);
      assert.ok(outcome !== 'still open', 'waitForDelivery never settled after dispose');
      assert.equal(outcome.state, 'failed');
    });

    it('answers waitForDelivery at once for an id that is waiting for nothing', async () => {
      const relay = await startRelay();
      const { session } = newSession();
      await join(session, relay.address.port);
      const outcome = await settledWithin(session.waitForDelivery('00000000deadbeef'), 100);
      assert.ok(outcome !== 'still open' && outcome.state === 'failed', `outcome: ${JSON.stringify(outcome)}`);
    });
  });

  describe('a rejoin the relay refuses', () => {
    /**
     * ann is in open room "general" through a proxy; the relay restarts on the same port, carol opens "general"
     * there with a passphrase while ann's path is cut, then ann's path comes back: her rejoin is refused
     * (passphrase-required), which nothing retrying can fix.
     */
    async function refusedRejoin(): Promise<{ session: ChatSession; posted: HostMessage[]; failures: SessionFailure[]; waiting: Promise<DeliveryView> }> {
      const first = await Relay.start({ host: '127.0.0.1', port: 0, limits: FAST_LIMITS, identity: RELAY_IDENTITY });
      const port = first.address.port;
      const proxy = await LossyProxy.start({ relayPort: port, seed: 1 });
      extras.push(proxy);
      const parts = newSession();
      await join(parts.session, proxy.address.port);
      proxy.impair('toRelay', { lossPercent: 100 });
      await first.close();
      const second = await startRelay({ port });
      await joinClient(second, 'carol', { passphrase: 'a different room now' });
      await until(() => parts.session.connection === 'reconnecting', 'ann to notice the relay is gone');
      const waiting = parts.session.waitForDelivery(parts.session.sendText('typed while away'));
      proxy.impair('toRelay', { lossPercent: 0 });
      await until(() => parts.failures.length > 0, 'the refused rejoin to be reported');
      return { ...parts, waiting };
    }

    it('follows the client: not joined, closed, and a send is refused with "join a room first"', async () => {
      const { session } = await refusedRejoin();
      assert.equal(session.joined, false);
      assert.equal(session.connection, 'closed');
      assert.equal(session.snapshot().connection, 'closed');
      assert.throws(() => session.sendText('hello?'), (error: Error & { code?: string }) => error.code === 'not-joined');
    });

    it('says so once, in the panel and as a failure event, with the relay\'s reason and "Join again"', async () => {
      const { session, posted, failures } = await refusedRejoin();
      const connection = posted.filter((message) => message.type === 'connection').pop();
      assert.equal(connection?.type === 'connection' && connection.state, 'closed');
      // The sentinel: joining again, with the room's new passphrase, comes after anything the old client said.
      const port = session.parameters?.relayPort as number;
      await join(session, port, 'general', 'a different room now');
      assert.equal(session.connection, 'connected');
      assert.equal(failures.length, 1);
      assert.equal(failures[0]?.code, 'passphrase-required');
      assert.equal(failures[0]?.params.room, 'general');
      const lines = entries(posted).flatMap((entry) => (entry.kind === 'system' && /is encrypted/.test(entry.text) ? [entry] : []));
      assert.equal(lines.length, 1, lines.map((line) => line.text).join(' | '));
      assert.equal(lines[0]?.kind === 'system' && lines[0].tone, 'error');
      assert.match(lines[0]?.text ?? '', /encrypted.*Join again/);
    });

    it('settles what was waiting for delivery, as failed', async () => {
      const { waiting } = await refusedRejoin();
      const outcome = await settledWithin(waiting, 2000);
      assert.ok(outcome !== 'still open', 'waitForDelivery never settled after the refused rejoin');
      assert.equal(outcome.state, 'failed');
      assert.match(outcome.reason ?? '', /connection ended/);
    });
  });

  describe('every progress row ends', () => {
    it('ends the row of an image whose sender vanishes halfway', async () => {
      const relay = await startRelay();
      const proxy = await LossyProxy.start({ relayPort: relay.address.port, seed: 2, toRelay: { delayMs: 20 } });
      extras.push(proxy);
      const { session, posted } = newSession({ clientOptions: { incompleteAfterMs: 500 } });
      await join(session, relay.address.port);
      const bob = await joinClient(proxy, 'bob');
      const data = new Uint8Array(4 * 1024 * 1024).fill(0x5a);
      data.set([0xff, 0xd8, 0xff, 0xe0]);
      bob.sendImage({ data, width: 640, height: 480, format: ImageFormat.Jpeg });
      await until(() => openRows(posted).length === 1, 'the receiving row', 10_000);
      proxy.impair('toRelay', { lossPercent: 100 });
      bob.close();
      await until(() => openRows(posted).length === 0, 'the row to end', 10_000);
    });

    it('ends the row of an image that arrives malformed (nothing else reports it)', async () => {
      const relay = await startRelay();
      const { session, posted } = newSession();
      await join(session, relay.address.port);
      const bob = await joinClient(relay, 'bob');
      const data = new Uint8Array(300 * 1024).fill(0x33);
      // 0×480 is no image: ann's client puts the parts together, then cannot decode the payload.
      const id = bob.sendImage({ data, width: 0, height: 480, format: ImageFormat.Jpeg });
      await until(() => posted.some((message) => message.type === 'transfer' && message.transfer.id === `in-${id}`), 'the receiving row');
      bob.sendText('sentinel');
      await until(() => entries(posted).some((entry) => entry.kind === 'text' && entry.text === 'sentinel'), 'the sentinel');
      assert.deepEqual(openRows(posted), []);
      assert.ok(!entries(posted).some((entry) => entry.id === id), 'the malformed image is shown');
    });

    it('opens no row that stays for an image resent after a relay restart (a duplicate)', async () => {
      const first = await Relay.start({ host: '127.0.0.1', port: 0, limits: FAST_LIMITS, identity: RELAY_IDENTITY });
      const port = first.address.port;
      const proxy = await LossyProxy.start({ relayPort: port, seed: 3 });
      extras.push(proxy);
      const { session, posted } = newSession();
      await join(session, port);
      const bob = await joinClient(proxy, 'bob');
      proxy.impair('toClient', { lossPercent: 100 }); // bob never hears the relay acknowledge his image
      const jpeg = await makeImageBytes(320, 240, 'image/jpeg');
      const id = bob.sendImage({ data: jpeg, width: 320, height: 240, format: ImageFormat.Jpeg });
      await until(() => session.imageFile(id) !== undefined, 'ann to have the image');
      // The relay restarts: it forgets that it forwarded the image, and bob, who never saw it acknowledged, resends it.
      const states = collect(session, 'connection');
      await first.close();
      await startRelay({ port });
      await until(() => states.some(([state]) => state === 'reconnecting') && session.connection === 'connected', 'ann to rejoin the new relay');
      const resent: string[] = [];
      session.client?.on('incomingDropped', (drop) => drop.id === id && resent.push(drop.reason));
      proxy.impair('toClient', { lossPercent: 0 });
      await until(() => bob.state === 'connected' && bob.pending().length === 0, 'bob to rejoin and deliver the image again', 10_000);
      bob.sendText('sentinel');
      await until(() => entries(posted).some((entry) => entry.kind === 'text' && entry.text === 'sentinel'), 'the sentinel');
      assert.deepEqual(resent, ['duplicate'], 'the image was not resent to ann: this test would prove nothing');
      assert.deepEqual(openRows(posted), []);
      assert.equal(entries(posted).filter((entry) => entry.id === id).length, 1);
    });
  });
});
