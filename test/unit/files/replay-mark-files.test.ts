import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReplayMarkFiles } from '../../../src/files/replay-mark-files';
import { encodeReplayMarks } from '../../../src/protocol/replay-marks';

const SCOPE = { relay: '127.0.0.1:12345', room: 'ops' };
const MARKS = encodeReplayMarks([{ senderKey: new Uint8Array(32).fill(3), epoch: new Uint8Array(8).fill(4), counter: 12 }]);

describe('ReplayMarkFiles', () => {
  let dir: string;
  let files: ReplayMarkFiles;

  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-marks-')), 'replay');
    files = new ReplayMarkFiles(dir);
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('loads what it saved, in a folder it creates, as one 0600 file and nothing else', async () => {
    await files.save(SCOPE, MARKS);
    assert.deepEqual(await files.load(SCOPE), MARKS);
    const names = fs.readdirSync(dir);
    assert.deepEqual(names, [path.basename(files.fileOf(SCOPE))]);
    assert.match(names[0] as string, /^[0-9a-f]{32}\.json$/);
    if (process.platform !== 'win32') {
      assert.equal((fs.statSync(files.fileOf(SCOPE)).mode & 0o777).toString(8), '600');
      assert.equal((fs.statSync(dir).mode & 0o777).toString(8), '700');
    }
    assert.deepEqual(JSON.parse(fs.readFileSync(files.fileOf(SCOPE), 'utf8')), { ...SCOPE, marks: Buffer.from(MARKS).toString('base64') });
  });

  it('replaces the file whole on the next save', async () => {
    await files.save(SCOPE, MARKS);
    const next = encodeReplayMarks([]);
    await files.save(SCOPE, next);
    assert.deepEqual(await files.load(SCOPE), next);
    assert.equal(fs.readdirSync(dir).length, 1);
  });

  it('keeps each room of each relay in its own file', async () => {
    const other = { relay: '127.0.0.1:12346', room: 'ops' };
    assert.notEqual(files.fileOf(SCOPE), files.fileOf(other));
    assert.notEqual(files.fileOf(SCOPE), files.fileOf({ ...SCOPE, room: 'dev' }));
    await files.save(SCOPE, MARKS);
    assert.equal(await files.load(other), undefined);
  });

  it('has no marks when there is no file', async () => {
    assert.equal(await files.load(SCOPE), undefined);
  });

  it('rejects a file that is not JSON, lacks base64 marks, belongs to another room or is too large', async () => {
    fs.mkdirSync(dir, { recursive: true });
    const file = files.fileOf(SCOPE);
    const cases: Array<[string, RegExp]> = [
      ['{"relay": "127.0.0.1:12345", "room": "op', /is not JSON/],
      ['[1, 2]', /holds the marks of another room/],
      [JSON.stringify({ ...SCOPE, marks: 'not base64!' }), /no marks in base64/],
      [JSON.stringify({ ...SCOPE, room: 'dev', marks: 'AQAA' }), /holds the marks of another room/],
      [' '.repeat(128 * 1024 + 1), /is larger than 131072 bytes/],
    ];
    for (const [text, expected] of cases) {
      fs.writeFileSync(file, text);
      await assert.rejects(files.load(SCOPE), expected);
    }
  });
});
