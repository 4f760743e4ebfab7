import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JimpMime } from 'jimp';
import { Attachments } from '../../../src/extension/attachments';
import { DEFAULT_MAX_FILE_BYTES, ImageCompressor, type CompressedImage } from '../../../src/image';
import { MAX_ATTACHMENT_BYTES, type AttachmentView } from '../../../src/shared/attachment-messages';
import type { HostMessage } from '../../../src/shared/panel-messages';
import { encode, photoLike } from '../image/fixtures/images';

describe('Attachments', function () {
  // A worker's start under tsx takes seconds on a busy 2-core machine, and Cancel restarts it.
  this.timeout(60_000);
  // One real worker (the one Send Image uses) for the whole file.
  const compressor = new ImageCompressor();
  let folder: string;
  let posts: HostMessage[];
  let sent: Array<{ image: CompressedImage; original: string | undefined }>;
  let attachments: Attachments;
  let sendFails: string | undefined;
  let png: Uint8Array;

  before(async () => {
    png = await encode(photoLike(1280, 800), JimpMime.png);
  });
  after(() => compressor.dispose());

  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-attach-'));
    posts = [];
    sent = [];
    sendFails = undefined;
    attachments = new Attachments({
      folder: path.join(folder, 'previews'),
      compressor: () => compressor,
      imageOptions: () => ({}),
      imageSrc: (file) => `https://file.vscode-resource.test${file}`,
      send: (image, original) => {
        if (sendFails !== undefined) throw new Error(sendFails);
        sent.push({ image, original });
        return 'f00d000000000001';
      },
      log: () => undefined,
      now: () => Date.UTC(2026, 11, 2, 3, 37, 12),
      maxBytes: 8 * 1024 * 1024,
    });
    attachments.on('post', (message) => posts.push(message));
  });
  afterEach(async () => {
    await attachments.dispose();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  const views = (id: string): AttachmentView[] =>
    posts.flatMap((m) => (m.type === 'attachment' && m.attachment.id === id ? [m.attachment] : []));
  async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 45_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(posts).slice(-600)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const settled = (id: string): Promise<AttachmentView> =>
    until(`${id} to be ready or failed`, () => views(id).find((view) => view.state !== 'compressing'));

  it('compresses a pasted image in the worker, with a "Compressing" row, into a preview file; nothing is sent', async () => {
    const id = attachments.attachBytes(1, undefined, png.slice());
    assert.deepEqual(views(id)[0], { id, requestId: 1, label: 'pasted-image-20261202-033712.png', state: 'compressing' });
    assert.deepEqual(posts.find((m) => m.type === 'transfer'), {
      type: 'transfer',
      transfer: { id: `${id}-compress`, direction: 'outgoing', label: 'Compressing pasted-image-20261202-033712.png', progress: undefined },
    });
    const ready = await settled(id);
    assert.equal(ready.state, 'ready', ready.error);
    assert.deepEqual([ready.width, ready.height], [640, 400]);
    const file = decodeURIComponent(new URL(ready.src ?? '').pathname);
    assert.ok(file.startsWith(path.join(folder, 'previews')), `preview under the storage folder: ${file}`);
    const onDisk = fs.readFileSync(file);
    assert.deepEqual([...onDisk.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
    assert.equal(ready.bytes, onDisk.length);
    await until('the row to end', () => posts.find((m) => m.type === 'transferDone' && m.id === `${id}-compress`));
    assert.equal(sent.length, 0);
  });

  it('sends the previewed image once on Send, then drops the preview and its file', async () => {
    const id = attachments.attachBytes(1, undefined, png.slice());
    const ready = await settled(id);
    const file = decodeURIComponent(new URL(ready.src ?? '').pathname);
    attachments.send(id);
    attachments.send(id);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.image.data.length, ready.bytes, 'the bytes previewed are the bytes sent');
    assert.equal(sent[0]?.original, undefined, 'a pasted image has no original file');
    assert.deepEqual(posts.at(-1), { type: 'attachmentGone', id });
    await until('the preview file to go', () => (fs.existsSync(file) ? undefined : true));
  });

  it('keeps the preview, saying why, when the send is refused', async () => {
    const id = attachments.attachBytes(1, undefined, png.slice());
    await settled(id);
    sendFails = 'join a room first (UDP Chat: Join)';
    attachments.send(id);
    assert.deepEqual(views(id).at(-1)?.error, 'join a room first (UDP Chat: Join)');
    assert.equal(views(id).at(-1)?.state, 'ready');
    sendFails = undefined;
    attachments.send(id);
    assert.equal(sent.length, 1);
  });

  it('Cancel during compression aborts it, ends its row and never shows or sends it', async () => {
    const cancelled = attachments.attachBytes(1, undefined, png.slice());
    attachments.cancel(cancelled);
    assert.deepEqual(
      posts.slice(-2),
      [
        { type: 'transferDone', id: `${cancelled}-compress` },
        { type: 'attachmentGone', id: cancelled },
      ],
    );
    // The sentinel: an image attached afterwards becomes ready; by then the cancelled one would have too.
    const sentinel = attachments.attachBytes(2, undefined, png.slice());
    assert.equal((await settled(sentinel)).state, 'ready');
    assert.deepEqual(views(cancelled).map((view) => view.state), ['compressing']);
    assert.equal(posts.filter((m) => m.type === 'transferDone' && m.id === `${cancelled}-compress`).length, 1);
    assert.equal(attachments.size, 1);
    assert.equal(sent.length, 0);
  });

  it("says the compressor's words for a damaged image", async () => {
    const broken = png.slice(0, 200);
    const id = attachments.attachBytes(1, undefined, broken);
    const failed = await settled(id);
    assert.equal(failed.state, 'failed');
    assert.match(failed.error ?? '', /^pasted-image-20261202-033712\.png looks like a PNG image but is damaged or incomplete/);
  });

  it('refuses more bytes than the limit before compressing, naming the size and the limit', () => {
    const id = attachments.attachBytes(1, 'huge.png', new Uint8Array(9 * 1024 * 1024));
    assert.deepEqual(views(id), [{ id, requestId: 1, label: 'huge.png', state: 'failed', error: 'huge.png is too large to send: 9.0 MB, more than the limit of 8.0 MB' }]);
    assert.equal(posts.some((m) => m.type === 'transfer'), false);
  });

  it('shows a dropped file by its base name only and sends it with the file as its original', async () => {
    const file = path.join(folder, 'sunset.png');
    fs.writeFileSync(file, png);
    const [id] = attachments.attachUris(3, [pathToFileURL(file).href]);
    const ready = await settled(id as string);
    assert.equal(ready.label, 'sunset.png');
    assert.equal(ready.state, 'ready', ready.error);
    attachments.send(id as string);
    assert.equal(sent[0]?.original, file);
  });

  it('refuses a dropped folder, a file that is no image and a URI that is no local file, each clearly', async () => {
    const text = path.join(folder, 'notes.png');
    fs.writeFileSync(text, 'just text');
    const ids = attachments.attachUris(4, [pathToFileURL(folder).href, pathToFileURL(text).href, 'https://example.com/cat.png']);
    const errors = await Promise.all(ids.map(async (id) => (await settled(id)).error));
    assert.deepEqual(errors, [
      `${path.basename(folder)} is a folder, not an image`,
      'notes.png is not an image UDP Chat can send (supported: PNG, JPEG, GIF, BMP, TIFF)',
      'cat.png is not a local file (only files on this computer can be sent).',
    ]);
  });

  it('replays the rows and previews in progress to a page that just said ready', async () => {
    const id = attachments.attachBytes(1, undefined, png.slice());
    assert.deepEqual(attachments.replay().map((m) => m.type), ['transfer', 'attachment']);
    await settled(id);
    await until('the row to end', () => posts.find((m) => m.type === 'transferDone'));
    assert.deepEqual(attachments.replay().map((m) => (m.type === 'attachment' ? m.attachment.state : m.type)), ['ready']);
  });

  it('deletes every preview file on dispose', async () => {
    const id = attachments.attachBytes(1, undefined, png.slice());
    await settled(id);
    await attachments.dispose();
    assert.deepEqual(fs.readdirSync(path.join(folder, 'previews')), []);
  });

  it("accepts from the webview exactly up to the image pipeline's input limit", () => {
    assert.equal(MAX_ATTACHMENT_BYTES, DEFAULT_MAX_FILE_BYTES);
  });
});
