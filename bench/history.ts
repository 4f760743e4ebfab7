/**
 * bench:history — what history costs, part by part. Each part is a function that measures one thing and returns
 * its figures (with a target where the issue sets one); `PARTS` lists them in the order they run. A new part is a
 * `async (options) => Figure[]` added to `PARTS` under its name.
 *
 *   append  durable appends to the relay's store (src/history/sqlite-store.ts): batches of 1, 16 and 256
 *           messages of 100 bytes, each batch one transaction that is on disk when append returns
 *   page    the relay's after(): a 50-message page from a room of 100,000 messages, as backlog and catch-up read
 *   search  full-text search in the extension's local history (src/history/local-store.ts, FTS5) over 100,000
 *           stored texts: median of 20 queries (rare, common, two-word and prefix), target ≤ 50 ms
 *   backlog, fanout: what history costs on the wire (bench/lib/history-relay.ts)
 *
 * Files go to a fresh folder under --dir (default: the OS temp folder); fsync costs what that disk costs.
 * Usage: node dist/bench/history.js [--only append,page,search] [--messages 100000] [--dir DIR]
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { HistoryEntry } from '../src/history/local-entry';
import { openLocalHistory } from '../src/history/local-store';
import { openSqliteHistoryStore } from '../src/history/sqlite-store';
import type { NewStoredMessage } from '../src/history/store';
import { mulberry32 } from '../test/support/lossy-link';
import { benchBacklog, benchFanout } from './lib/history-relay';
import { median, percentile } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    messages: { type: 'string', default: '100000' },
    dir: { type: 'string', default: os.tmpdir() },
  },
});

export interface BenchOptions {
  /** A fresh folder for this run's files, removed at the end. */
  dir: string;
  /** Messages stored before reading or searching (the figure: 100,000). */
  messages: number;
}

/** One printed figure: what, how much, and the target it must meet (if the issue sets one). */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: { atMost?: number; atLeast?: number };
}

/** Payload of each appended message (bytes), as the issue measures. */
const PAYLOAD_BYTES = 100;
/** Batch sizes of the append part: one message per commit, a typical burst, and a large one. */
const APPEND_BATCHES = [1, 16, 256];
/** How long each batch size is measured (ms): enough commits for a stable median on a busy disk. */
const APPEND_SECONDS_MS = 3000;
/** Messages per page of the page part, as the relay sends backlog pages. */
const PAGE_MESSAGES = 50;
/** Pages read in the page part (each at a random place in the room). */
const PAGE_READS = 200;
/** Queries of the search part, and the entries each returns at most (the panel's page of results). */
const SEARCH_QUERIES = 20;
const SEARCH_LIMIT = 50;
/** Entries per transaction while filling the local history (not measured). */
const FILL_BATCH = 1000;

// ---- helpers ----------------------------------------------------------------------------------------------------


function relayMessage(room: string, id: bigint, storedAt: number): NewStoredMessage {
  return {
    room,
    type: 1,
    messageId: id,
    from: 'bench',
    memberKey: new Uint8Array(32),
    storedAt,
    payload: new Uint8Array(PAYLOAD_BYTES).fill(0x61),
  };
}

// ---- append: durable group commit -------------------------------------------------------------------------------

async function benchAppend(options: BenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const batch of APPEND_BATCHES) {
    const store = openSqliteHistoryStore(path.join(options.dir, `append-${batch}.sqlite`));
    const commitsMs: number[] = [];
    let id = 0n;
    const started = performance.now();
    while (performance.now() - started < APPEND_SECONDS_MS) {
      const messages = Array.from({ length: batch }, () => relayMessage('bench', ++id, Date.now()));
      const before = performance.now();
      store.append(messages);
      commitsMs.push(performance.now() - before);
    }
    const elapsedS = (performance.now() - started) / 1000;
    store.close();
    figures.push(
      { name: `append, batches of ${batch}: commits/s`, value: commitsMs.length / elapsedS, unit: '/s' },
      { name: `append, batches of ${batch}: messages/s`, value: (commitsMs.length * batch) / elapsedS, unit: '/s' },
      { name: `append, batches of ${batch}: commit p50`, value: median(commitsMs), unit: 'ms' },
      { name: `append, batches of ${batch}: commit p99`, value: percentile(commitsMs, 0.99), unit: 'ms' },
    );
  }
  return figures;
}

// ---- page: the relay reading backlog ----------------------------------------------------------------------------

async function benchPage(options: BenchOptions): Promise<Figure[]> {
  const store = openSqliteHistoryStore(path.join(options.dir, 'page.sqlite'));
  const fillStarted = performance.now();
  let id = 0n;
  for (let stored = 0; stored < options.messages; stored += FILL_BATCH) {
    const count = Math.min(FILL_BATCH, options.messages - stored);
    // Two rooms interleaved, so a page is not simply the next rows of the file.
    store.append(Array.from({ length: count }, (_, i) => relayMessage(i % 2 === 0 ? 'bench' : 'other', ++id, 0)));
  }
  const fillS = (performance.now() - fillStarted) / 1000;
  const latest = store.latestSeq('bench');
  const next = mulberry32(11);
  const readsMs: number[] = [];
  for (let i = 0; i < PAGE_READS; i++) {
    const after = Math.floor(next() * Math.max(1, latest - PAGE_MESSAGES));
    const before = performance.now();
    const page = store.after('bench', after, PAGE_MESSAGES);
    readsMs.push(performance.now() - before);
    if (page.length !== PAGE_MESSAGES) throw new Error(`page after ${after}: ${page.length} messages`);
  }
  store.close();
  return [
    { name: `page: fill ${options.messages} messages in batches of ${FILL_BATCH}`, value: fillS, unit: 's' },
    { name: `page: after(), ${PAGE_MESSAGES} of ${latest} messages, p50`, value: median(readsMs), unit: 'ms' },
    { name: `page: after(), ${PAGE_MESSAGES} of ${latest} messages, p99`, value: percentile(readsMs, 0.99), unit: 'ms' },
  ];
}

// ---- search: the local history's full-text index ----------------------------------------------------------------

/** A vocabulary where a few words are everywhere and most are rare, as in chat (Zipf-like by rank). */
const WORDS = (() => {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'su', 'ta', 'ri', 'po', 'de', 'va', 'zu', 'fe', 'gi', 'ho', 'ju'];
  const words: string[] = [];
  for (const a of syllables) for (const b of syllables) for (const c of ['', 'n', 'r', 's']) words.push(a + b + c);
  return words; // 900 words
})();

function chatText(next: () => number): string {
  const length = 4 + Math.floor(next() * 16);
  const words: string[] = [];
  for (let i = 0; i < length; i++) words.push(WORDS[Math.floor(WORDS.length * next() ** 3)]!);
  return words.join(' ');
}

function textEntry(n: number, text: string): HistoryEntry {
  return {
    kind: 'text',
    id: `e${n}`,
    messageId: String(n),
    from: n % 3 === 0 ? 'ada' : 'grace',
    own: false,
    sentAt: 1_700_000_000_000 + n * 1000,
    seq: n + 1,
    legacy: false,
    encrypted: true,
    delivered: true,
    text,
  };
}

async function benchSearch(options: BenchOptions): Promise<Figure[]> {
  const store = openLocalHistory(path.join(options.dir, 'local.sqlite'), { fileExists: () => true });
  const key = '127.0.0.1:12345/bench';
  const next = mulberry32(7);
  const fillStarted = performance.now();
  for (let stored = 0; stored < options.messages; stored += FILL_BATCH) {
    const count = Math.min(FILL_BATCH, options.messages - stored);
    store.append(key, Array.from({ length: count }, (_, i) => textEntry(stored + i, chatText(next))));
  }
  const fillS = (performance.now() - fillStarted) / 1000;
  // Common words (early ranks), rare ones (late ranks), two-word queries and prefixes, as people type them.
  const queries = Array.from({ length: SEARCH_QUERIES }, (_, i) => {
    const common = WORDS[i]!;
    const rare = WORDS[WORDS.length - 1 - i * 7]!;
    switch (i % 4) {
      case 0:
        return common;
      case 1:
        return rare;
      case 2:
        return `${common} ${WORDS[i + 20]!}`;
      default:
        return rare.slice(0, 3);
    }
  });
  const queriesMs: number[] = [];
  let hits = 0;
  for (const query of queries) {
    const before = performance.now();
    hits += store.search(key, query, SEARCH_LIMIT).length;
    queriesMs.push(performance.now() - before);
  }
  store.close();
  if (hits === 0) throw new Error('search found nothing: the bench would measure empty answers');
  return [
    { name: `search: fill ${options.messages} texts with the index`, value: fillS, unit: 's' },
    {
      name: `search: ${options.messages} texts, median of ${SEARCH_QUERIES} queries`,
      value: median(queriesMs),
      unit: 'ms',
      target: { atMost: 50 },
    },
    {
      name: `search: slowest of ${SEARCH_QUERIES} queries ("${queries[queriesMs.indexOf(Math.max(...queriesMs))]}")`,
      value: Math.max(...queriesMs),
      unit: 'ms',
    },
  ];
}

/** Runs of the chat panel's first paint (each in a fresh page). */
const PAINT_RUNS = 5;
/** Entries in the local store the panel opens with, and the target for its first paint (ms). */
const PAINT_ENTRIES = 10_000;
const PAINT_TARGET_MS = 300;

/**
 * The chat panel's first paint with 10,000 entries, in the webview suite's chromium (test/e2e/webview-paint.mjs,
 * which needs `npm run build` and Debian's chromium).
 */
async function benchPaint(): Promise<Figure[]> {
  const script = path.join(__dirname, '..', '..', 'test', 'e2e', 'webview-paint.mjs');
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [script, '--runs', String(PAINT_RUNS), '--entries', String(PAINT_ENTRIES)], { timeout: 120_000 }, (error, out) =>
      error ? reject(error) : resolve(out),
    ),
  );
  const line = stdout.split('\n').find((text) => text.startsWith('{"bench":"webview-first-paint"'));
  if (!line) throw new Error(`webview-paint printed no result:\n${stdout}`);
  const result = JSON.parse(line) as { medianMs: number; runs: number[] };
  return [
    { name: `paint: chat panel first paint, ${PAINT_ENTRIES} entries, median of ${PAINT_RUNS}`, value: result.medianMs, unit: 'ms', target: { atMost: PAINT_TARGET_MS } },
    { name: `paint: slowest of ${PAINT_RUNS}`, value: Math.max(...result.runs), unit: 'ms' },
  ];
}

// ---- the run ----------------------------------------------------------------------------------------------------

export const PARTS: Record<string, (options: BenchOptions) => Promise<Figure[]>> = {
  append: benchAppend,
  page: benchPage,
  search: benchSearch,
  backlog: benchBacklog,
  fanout: benchFanout,
  paint: benchPaint,
};

function format(figure: Figure): string {
  const value = figure.value >= 100 ? figure.value.toFixed(0) : figure.value.toPrecision(3);
  const { atMost, atLeast } = figure.target ?? {};
  let verdict = '';
  if (atMost !== undefined) {
    verdict = `  (target ≤ ${atMost} ${figure.unit}: ${figure.value <= atMost ? 'met' : 'MISSED'})`;
  }
  if (atLeast !== undefined) {
    verdict = `  (target ≥ ${atLeast} ${figure.unit}: ${figure.value >= atLeast ? 'met' : 'MISSED'})`;
  }
  return `${figure.name.padEnd(64)} ${value.padStart(9)} ${figure.unit}${verdict}`;
}

async function main(): Promise<void> {
  const only = args.only?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !(name in PARTS)) ?? [];
  if (unknown.length > 0) {
    throw new Error(`unknown part(s): ${unknown.join(', ')} (parts: ${Object.keys(PARTS).join(', ')})`);
  }
  const dir = fs.mkdtempSync(path.join(args.dir, 'udpchat-bench-history-'));
  const options: BenchOptions = { dir, messages: Number(args.messages) };
  let missed = false;
  try {
    console.log(`bench:history  node ${process.version}, ${os.cpus().length} CPUs, files in ${dir}`);
    for (const [name, part] of Object.entries(PARTS)) {
      if (only !== undefined && !only.includes(name)) continue;
      for (const figure of await part(options)) {
        console.log(format(figure));
        const { atMost, atLeast } = figure.target ?? {};
        if ((atMost !== undefined && figure.value > atMost) || (atLeast !== undefined && figure.value < atLeast)) {
          missed = true;
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (missed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
