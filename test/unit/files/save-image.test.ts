import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SaveImageError, sanitizeForFileName, saveReceivedImage, type ReceivedImageFile } from '../../../src/files/save-image';
import { gifHeader, jpegHeader, pngHeader } from '../../support/image-headers';

const MAX_PIXELS = 1_000_000;
/** What the name of a saved file may be: time, sanitized sender, hex id, optional counter, extension. */
const SAFE_FILE_NAME = /^\d{8}-\d{6}-[A-Za-z0-9_-]{1,32}-[0-9a-f]{1,16}(-\d+)?\.(png|jpg)$/;

function image(overrides: Partial<ReceivedImageFile> = {}): ReceivedImageFile {
  return { id: '00000001deadbeef', from: 'ann', sentAt: Date.UTC(2024, 4, 17, 12, 0, 0), data: pngHeader(64, 48), width: 64, height: 48, ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<SaveImageError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SaveImageError, `not a SaveImageError: ${String(error)}`);
    return error;
  }
  assert.fail('expected the save to be refused');
}

describe('files/save-image', () => {
  let root: string;
  let folder: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'udpchat-save-'));
    folder = path.join(root, 'images');
    await fs.mkdir(folder);
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  /** Every file under the temp root, relative to it: nothing may appear outside the save folder. */
  async function filesUnderRoot(): Promise<string[]> {
    const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => !entry.isDirectory()).map((entry) => path.relative(root, path.join(entry.parentPath, entry.name))).sort();
  }

  describe('saving', () => {
    it('writes the bytes to a file in the folder and returns its absolute path', async () => {
      const saved = await saveReceivedImage(folder, image(), MAX_PIXELS);
      assert.ok(path.isAbsolute(saved));
      assert.equal(path.dirname(saved), folder);
      assert.match(path.basename(saved), SAFE_FILE_NAME);
      assert.deepEqual(new Uint8Array(await fs.readFile(saved)), image().data);
    });

    it('names the file from the local time sent, the sender and the message id', async () => {
      const sentAt = new Date(2024, 0, 2, 3, 4, 5).getTime(); // local time, as the name uses
      const saved = await saveReceivedImage(folder, image({ sentAt }), MAX_PIXELS);
      assert.equal(path.basename(saved), '20240102-030405-ann-00000001deadbeef.png');
    });

    it('gives a JPEG the .jpg extension', async () => {
      const saved = await saveReceivedImage(folder, image({ data: jpegHeader(64, 48) }), MAX_PIXELS);
      assert.equal(path.extname(saved), '.jpg');
    });

    it('creates the folder when it does not exist', async () => {
      const nested = path.join(folder, 'new', 'deeper');
      const saved = await saveReceivedImage(nested, image(), MAX_PIXELS);
      assert.equal(path.dirname(saved), nested);
    });

    it('resolves a relative folder to an absolute path', async () => {
      const relative = path.relative(process.cwd(), folder);
      const saved = await saveReceivedImage(relative, image(), MAX_PIXELS);
      assert.equal(path.dirname(saved), folder);
    });

    it('accepts an image of exactly the pixel limit', async () => {
      const saved = await saveReceivedImage(folder, image({ data: pngHeader(1000, 1000), width: 1000, height: 1000 }), MAX_PIXELS);
      assert.ok(saved);
    });
  });

  describe('file names from untrusted senders', () => {
    const senders: Record<string, string> = {
      'a path climbing out': '../../etc/passwd',
      'an absolute path': '/etc/passwd',
      'both slashes': 'a/b\\c',
      'a Windows drive path': 'C:\\Windows\\System32',
      markup: '<script>alert(1)</script>',
      'an empty name': '',
      'only dots': '..',
      'a reserved Windows device name': 'CON',
      'another device name with an extension': 'nul.txt',
      emoji: '🦊🦊',
      'accented letters': 'Zoë Ångström',
      'a NUL byte': 'a\u0000b',
      'a newline': 'a\nb',
      'a very long name': 'x'.repeat(200),
      'shell characters': '$(rm -rf ~); `id` | & *?',
    };

    for (const [what, from] of Object.entries(senders)) {
      it(`keeps the file inside the folder for a sender name with ${what}`, async () => {
        const saved = await saveReceivedImage(folder, image({ from }), MAX_PIXELS);
        assert.equal(path.dirname(saved), folder);
        assert.match(path.basename(saved), SAFE_FILE_NAME);
        assert.deepEqual(await filesUnderRoot(), [path.join('images', path.basename(saved))]);
      });
    }

    it('keeps the file inside the folder for a hostile message id', async () => {
      for (const id of ['../../x', '/etc/passwd', 'abc/../def', '', '00000001deadbeef00000001deadbeef']) {
        const saved = await saveReceivedImage(folder, image({ id }), MAX_PIXELS);
        assert.equal(path.dirname(saved), folder, id);
        assert.match(path.basename(saved), /^\d{8}-\d{6}-ann-[0-9a-z]{1,16}(-\d+)?\.png$/, id);
      }
      assert.equal((await fs.readdir(folder)).length, 5);
    });

    it('reduces sender names to ASCII letters, digits, "-" and "_"', () => {
      assert.equal(sanitizeForFileName('../../etc/passwd'), 'etc_passwd');
      assert.equal(sanitizeForFileName('a/b\\c'), 'a_b_c');
      assert.equal(sanitizeForFileName('<script>'), 'script');
      assert.equal(sanitizeForFileName('Zoë Ångström'), 'Zoe_Angstrom');
      assert.equal(sanitizeForFileName('CON'), 'CON');
      assert.equal(sanitizeForFileName('x'.repeat(200)), 'x'.repeat(32));
    });

    it('names a sender with nothing usable "member"', () => {
      for (const from of ['', '..', '🦊', '___', '中文', '\u0000']) assert.equal(sanitizeForFileName(from), 'member', JSON.stringify(from));
    });
  });

  describe('never overwriting', () => {
    it('saves the same image twice as two files', async () => {
      const first = await saveReceivedImage(folder, image(), MAX_PIXELS);
      const second = await saveReceivedImage(folder, image({ data: pngHeader(64, 48).fill(7, 33) }), MAX_PIXELS);
      assert.notEqual(first, second);
      assert.match(path.basename(second), /-1\.png$/);
      assert.deepEqual(new Uint8Array(await fs.readFile(first)), image().data, 'the first file is untouched');
      assert.equal((await fs.readdir(folder)).length, 2);
    });

    it('numbers further copies in turn', async () => {
      const names = [];
      for (let i = 0; i < 4; i++) names.push(path.basename(await saveReceivedImage(folder, image(), MAX_PIXELS)));
      assert.deepEqual(names.map((name) => name.replace(/^.*deadbeef/, '')), ['.png', '-1.png', '-2.png', '-3.png']);
    });

    it('leaves a file the user already had under that name alone', async () => {
      const probe = await saveReceivedImage(folder, image(), MAX_PIXELS);
      await fs.writeFile(probe, 'mine');
      const saved = await saveReceivedImage(folder, image(), MAX_PIXELS);
      assert.notEqual(saved, probe);
      assert.equal(await fs.readFile(probe, 'utf8'), 'mine');
    });

    it('does not follow a symbolic link planted under the name it would use', async function () {
      const probe = await saveReceivedImage(folder, image(), MAX_PIXELS);
      await fs.rm(probe);
      const outside = path.join(root, 'outside.txt');
      await fs.writeFile(outside, 'secret');
      try {
        await fs.symlink(outside, probe);
      } catch {
        this.skip(); // no symlink permission (Windows without developer mode)
      }
      const saved = await saveReceivedImage(folder, image(), MAX_PIXELS);
      assert.notEqual(saved, probe);
      assert.equal(await fs.readFile(outside, 'utf8'), 'secret');
    });
  });

  describe('refusals', () => {
    it('refuses bytes that are not an image and writes nothing', async () => {
      const error = await rejection(saveReceivedImage(folder, image({ data: new TextEncoder().encode('not an image') }), MAX_PIXELS));
      assert.equal(error.code, 'not-an-image');
      assert.deepEqual(await filesUnderRoot(), []);
    });

    it('refuses an image format other than JPEG or PNG', async () => {
      const error = await rejection(saveReceivedImage(folder, image({ data: gifHeader(64, 48) }), MAX_PIXELS));
      assert.equal(error.code, 'not-an-image');
      assert.deepEqual(await filesUnderRoot(), []);
    });

    it('refuses empty bytes', async () => {
      const error = await rejection(saveReceivedImage(folder, image({ data: new Uint8Array(0) }), MAX_PIXELS));
      assert.equal(error.code, 'not-an-image');
    });

    it('refuses an image whose dimensions differ from the declared ones and writes nothing', async () => {
      for (const declared of [{ width: 65, height: 48 }, { width: 64, height: 47 }, { width: 48, height: 64 }]) {
        const error = await rejection(saveReceivedImage(folder, image(declared), MAX_PIXELS));
        assert.equal(error.code, 'dimensions-mismatch');
        assert.match(error.message, /claims .* but is 64x48/);
      }
      assert.deepEqual(await filesUnderRoot(), []);
    });

    it('refuses an image with too many pixels and writes nothing', async () => {
      const error = await rejection(saveReceivedImage(folder, image({ data: pngHeader(1001, 1000), width: 1001, height: 1000 }), MAX_PIXELS));
      assert.equal(error.code, 'too-many-pixels');
      assert.deepEqual(await filesUnderRoot(), []);
    });

    it('does not create the folder for an image it refuses', async () => {
      const nested = path.join(folder, 'not-yet');
      await rejection(saveReceivedImage(nested, image({ data: new Uint8Array([1, 2, 3]) }), MAX_PIXELS));
      await assert.rejects(fs.stat(nested), { code: 'ENOENT' });
    });

    it('reports write-failed when the folder cannot be created', async () => {
      const blocker = path.join(root, 'a-file');
      await fs.writeFile(blocker, '');
      const error = await rejection(saveReceivedImage(path.join(blocker, 'images'), image(), MAX_PIXELS));
      assert.equal(error.code, 'write-failed');
    });

    it('names the sender in its message', async () => {
      const error = await rejection(saveReceivedImage(folder, image({ data: new Uint8Array([1]) }), MAX_PIXELS));
      assert.match(error.message, /from ann/);
    });
  });
});
