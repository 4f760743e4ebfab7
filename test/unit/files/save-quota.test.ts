import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LEDGER_NAME, planQuota, SaveQuota, type SavedFile } from '../../../src/files/save-quota';

const file = (name: string, bytes: number, savedAt: number): SavedFile => ({ name, bytes, savedAt });

describe('files/save-quota', () => {
  describe('planQuota', () => {
    it('keeps everything that fits', () => {
      const files = [file('a', 10, 1), file('b', 10, 2)];
      assert.deepEqual(planQuota(files, 20).remove, []);
    });

    it('removes the oldest first until the rest fit, whatever the order given', () => {
      const plan = planQuota([file('new', 10, 3), file('old', 10, 1), file('mid', 10, 2)], 15);
      assert.deepEqual(plan.remove.map((f) => f.name), ['old', 'mid']);
      assert.deepEqual(plan.keep.map((f) => f.name), ['new']);
    });

    it('keeps the newest file even when it alone is over the quota', () => {
      assert.deepEqual(planQuota([file('a', 10, 1), file('b', 100, 2)], 50).keep.map((f) => f.name), ['b']);
    });

    it('also bounds how many files it tracks', () => {
      const files = Array.from({ length: 5 }, (_, i) => file(`f${i}`, 1, i));
      assert.deepEqual(planQuota(files, 1_000, 3).remove.map((f) => f.name), ['f0', 'f1']);
    });
  });

  describe('SaveQuota', () => {
    let folder: string;
    let clock = 0;
    const quota = new SaveQuota();

    beforeEach(() => {
      folder = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-quota-'));
    });

    afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

    /** Writes a file as saveReceivedImage would and records it, as the session does. */
    function save(name: string, bytes: number, quotaBytes: number): Promise<string[]> {
      const target = path.join(folder, name);
      fs.writeFileSync(target, Buffer.alloc(bytes, 1));
      return quota.record(target, bytes, quotaBytes, ++clock);
    }

    it('deletes the oldest files it saved once the folder passes the quota', async () => {
      await save('1.jpg', 400, 1000);
      await save('2.jpg', 400, 1000);
      const deleted = await save('3.jpg', 400, 1000);
      assert.deepEqual(deleted, [path.join(folder, '1.jpg')]);
      assert.deepEqual(fs.readdirSync(folder).filter((name) => name.endsWith('.jpg')).sort(), ['2.jpg', '3.jpg']);
    });

    it('never deletes a file it did not save, however old or large', async () => {
      const own = path.join(folder, 'holiday.jpg');
      fs.writeFileSync(own, Buffer.alloc(5000, 2));
      fs.utimesSync(own, 0, 0);
      await save('1.jpg', 400, 500);
      await save('2.jpg', 400, 500);
      assert.ok(fs.existsSync(own), "the user's own picture was deleted");
      assert.ok(!fs.existsSync(path.join(folder, '1.jpg')));
    });

    it('leaves a file that was replaced since it saved it (different size)', async () => {
      await save('1.jpg', 400, 500);
      fs.writeFileSync(path.join(folder, '1.jpg'), Buffer.alloc(123, 3)); // the user put something else there
      const deleted = await save('2.jpg', 400, 500);
      assert.deepEqual(deleted, []);
      assert.equal(fs.statSync(path.join(folder, '1.jpg')).size, 123);
    });

    it('leaves a symbolic link put in place of a file it saved, and what it points to', async function () {
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-quota-outside-'));
      try {
        const precious = path.join(outside, 'precious.jpg');
        fs.writeFileSync(precious, Buffer.alloc(400, 4));
        await save('1.jpg', 400, 500);
        fs.rmSync(path.join(folder, '1.jpg'));
        try {
          fs.symlinkSync(precious, path.join(folder, '1.jpg'));
        } catch {
          this.skip(); // no symbolic links here
        }
        await save('2.jpg', 400, 500);
        assert.ok(fs.lstatSync(path.join(folder, '1.jpg')).isSymbolicLink(), 'the quota deleted a link it did not make');
        assert.ok(fs.existsSync(precious), 'the quota deleted a file outside the folder through a link');
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });

    it('ignores a ledger entry that names a path outside the folder', async () => {
      const outside = path.join(path.dirname(folder), `udpchat-quota-victim-${process.pid}.jpg`);
      fs.writeFileSync(outside, Buffer.alloc(400, 5));
      try {
        const planted = { version: 1, files: [{ name: `../${path.basename(outside)}`, bytes: 400, savedAt: 0 }] };
        fs.writeFileSync(path.join(folder, LEDGER_NAME), JSON.stringify(planted));
        await save('1.jpg', 400, 100);
        await save('2.jpg', 400, 100);
        assert.ok(fs.existsSync(outside), 'a planted ledger entry reached outside the folder');
      } finally {
        fs.rmSync(outside, { force: true });
      }
    });

    it('remembers what it saved across restarts (the ledger is on disk)', async () => {
      await save('1.jpg', 400, 1000);
      const restarted = new SaveQuota();
      fs.writeFileSync(path.join(folder, '2.jpg'), Buffer.alloc(800, 1));
      const deleted = await restarted.record(path.join(folder, '2.jpg'), 800, 1000, ++clock);
      assert.deepEqual(deleted, [path.join(folder, '1.jpg')]);
    });

    it('loses no record when saves overlap', async () => {
      const names = Array.from({ length: 8 }, (_, i) => `${i}.jpg`);
      await Promise.all(names.map((name) => save(name, 100, 10_000)));
      const ledger = JSON.parse(fs.readFileSync(path.join(folder, LEDGER_NAME), 'utf8')) as { files: SavedFile[] };
      assert.deepEqual(ledger.files.map((f) => f.name).sort(), [...names].sort());
    });

    it('starts afresh from a ledger that is not JSON, deleting nothing', async () => {
      fs.writeFileSync(path.join(folder, LEDGER_NAME), '{ not json');
      fs.writeFileSync(path.join(folder, 'old.jpg'), Buffer.alloc(400, 1));
      assert.deepEqual(await save('1.jpg', 400, 100), []);
      assert.ok(fs.existsSync(path.join(folder, 'old.jpg')));
    });
  });
});
