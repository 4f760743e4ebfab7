/**
 * A child for the kill -9 test: appends batches to the history at argv[2] as fast as it can and writes each
 * batch's last seq to stdout (synchronously) only after append returned, i.e. once the batch is "delivered".
 */
import fs from 'node:fs';
import { openSqliteHistoryStore } from '../../src/history/sqlite-store';

const [file, batchText] = process.argv.slice(2);
const batch = Number(batchText ?? '16');
const store = openSqliteHistoryStore(file!);
const payload = new Uint8Array(100).fill(0x61);
fs.writeSync(1, `ready ${store.latestSeq('burst')}\n`);
for (let id = 1n; ; id++) {
  const messages = Array.from({ length: batch }, (_, i) => ({
    room: 'burst',
    type: 1,
    messageId: id * 1000n + BigInt(i),
    from: 'child',
    memberKey: undefined,
    storedAt: Date.now(),
    payload,
  }));
  const stored = store.append(messages);
  fs.writeSync(1, `${stored[stored.length - 1]!.seq}\n`);
}
