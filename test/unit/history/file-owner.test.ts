import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseError } from '../../../src/history/database-error';
import { reclaimFromThisProcess, takeOwnership, type Ownership } from '../../../src/history/file-owner';

/** A pid that certainly belonged to a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

const bootTimeS = (): number => Math.round(Date.now() / 1000 - os.uptime());

function refused(file: string, pattern: RegExp): void {
  assert.throws(
    () => takeOwnership(file),
    (error: unknown) => error instanceof DatabaseError && error.reason === 'in-use' && pattern.test(error.message),
  );
}

describe('history/file-owner', () => {
  let dir = '';
  let file = '';
  let owned: Ownership[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-file-owner-'));
    file = path.join(dir, 'store.sqlite');
    owned = [];
  });
  afterEach(() => {
    for (const ownership of owned) ownership.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const take = (): Ownership => {
    const ownership = takeOwnership(file);
    owned.push(ownership);
    return ownership;
  };

  it('marks the file with this pid, host and boot time, and removes the mark on release', () => {
    const ownership = take();
    assert.match(fs.readFileSync(`${file}.owner`, 'utf8'), new RegExp(`^${process.pid} ${os.hostname()} \\d+\\n$`));
    ownership.release();
    assert.equal(fs.existsSync(`${file}.owner`), false);
  });

  it('refuses while a live process owns the file, naming it and the marker to delete if it is gone', () => {
    take();
    refused(file, new RegExp(`in use by process ${process.pid} on .*delete .*store\\.sqlite\\.owner`));
  });

  it('takes over from an owner that died: its marker and the lock directory it left are removed', () => {
    fs.writeFileSync(`${file}.owner`, `${deadPid()} ${os.hostname()} ${bootTimeS()}\n`);
    fs.mkdirSync(`${file}.lock`);
    take();
    assert.equal(fs.existsSync(`${file}.lock`), false);
    assert.match(fs.readFileSync(`${file}.owner`, 'utf8'), new RegExp(`^${process.pid} `));
  });

  it('takes over from an owner of before a reboot, even when its pid now belongs to a live process', () => {
    const bootedYesterdayS = bootTimeS() - 24 * 60 * 60;
    fs.writeFileSync(`${file}.owner`, `${process.pid} ${os.hostname()} ${bootedYesterdayS}\n`);
    take();
    const [, , bootS] = fs.readFileSync(`${file}.owner`, 'utf8').trim().split(' ');
    assert.ok(Math.abs(Number(bootS) - bootTimeS()) <= 2, `marker rewritten with this boot (${bootS})`);
  });

  it('assumes an owner on another host lives: it cannot be checked from here', () => {
    fs.writeFileSync(`${file}.owner`, `${deadPid()} another-host.example ${bootTimeS()}\n`);
    refused(file, /in use by process \d+ on another-host\.example/);
  });

  it('waits for an owner still writing its marker, and takes over once that marker is old', () => {
    fs.writeFileSync(`${file}.owner`, '');
    refused(file, /being opened by another process/);
    const aMinuteAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.owner`, aMinuteAgo, aMinuteAgo);
    take();
  });

  it('lets this process reclaim a marker of its own (a worker thread that owned the file died)', () => {
    take(); // never released, as by a thread that crashed
    refused(file, /in use by process/);
    reclaimFromThisProcess(file);
    take();
  });

  it('reclaims nothing that another live process holds', () => {
    fs.writeFileSync(`${file}.owner`, `${process.ppid} ${os.hostname()} ${bootTimeS()}\n`);
    reclaimFromThisProcess(file);
    refused(file, new RegExp(`in use by process ${process.ppid} `));
  });
});
