import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../src/history/sqlite';
import { openSqliteHistoryStore, RELAY_HISTORY_MIGRATIONS } from '../../../src/history/sqlite-store';

const CHILD = path.join(__dirname, '../../support/history-append-child.ts');
/** Batches the child must have reported before it is killed; the kill lands at a random moment after that. */
const BATCHES_BEFORE_KILL = 20;
const ROUNDS = 4;

/** Runs the child until it has reported `batches` batches plus a random 0-15 ms, SIGKILLs it; its reported seqs. */
function appendUntilKilled(file: string, batches: number): Promise<{ startSeq: number; reported: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, '16'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let stderr = '';
    let startSeq = -1;
    const reported: number[] = [];
    let killScheduled = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', function childStderrOnData(text: string) {
      stderr += text;
    });
    child.stdout.on('data', function childStdoutOnData(text: string) {
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ready ')) startSeq = Number(line.slice(6));
        else reported.push(Number(line));
      }
      if (!killScheduled && reported.length >= batches) {
        killScheduled = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 16));
      }
    });
    child.on('error', reject);
    // 'close', not 'exit': it comes after the last line written before the kill has been read from the pipe.
    child.on('close', function childOnClose(code, signal) {
      if (signal !== 'SIGKILL') reject(new Error(`child ended by itself (${code}): ${stderr}`));
      else resolve({ startSeq, reported });
    });
  });
}

describe('history/sqlite-store under kill -9', function () {
  this.timeout(120_000);
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-sqlite-crash-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loses no batch it reported as appended, stays intact and numbers without gaps, kill after kill', async () => {
    const file = path.join(dir, 'history.sqlite');
    let highestReported = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { startSeq, reported } = await appendUntilKilled(file, BATCHES_BEFORE_KILL);
      assert.ok(reported.length >= BATCHES_BEFORE_KILL, `round ${round}: ${reported.length} batches reported`);
      // The reopened child goes on from what survived, which includes everything reported before.
      assert.ok(startSeq >= highestReported, `round ${round}: resumed at ${startSeq} < ${highestReported}`);
      highestReported = reported[reported.length - 1]!;

      const db = openDatabase(file, { migrations: RELAY_HISTORY_MIGRATIONS });
      try {
        assert.equal(db.integrityCheck(), 'ok');
      } finally {
        db.close();
      }
      const store = openSqliteHistoryStore(file);
      try {
        const latest = store.latestSeq('burst');
        assert.ok(latest >= highestReported, `round ${round}: latest ${latest} < reported ${highestReported}`);
        const all = store.after('burst', 0, latest + 1).map((message) => message.seq);
        assert.deepEqual(all, Array.from({ length: latest }, (_, i) => i + 1));
      } finally {
        store.close();
      }
    }
  });
});
