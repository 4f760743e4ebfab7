#!/usr/bin/env node
// First paint of the chat panel with a 10,000-entry conversation, in the webview suite's chromium: the page the
// extension serves (webview-page.mjs), a `state` snapshot of 10,000 entries posted to it, timed inside the page up
// to the frame after the newest entry is in the DOM (measureFirstPaint). Each run is a fresh page; prints every
// run, the median and the target, then one JSON line for scripts (bench:history).
//
// Usage: node test/e2e/webview-paint.mjs [--runs N] [--entries N]      (run `node esbuild.mjs` first)
import { measureFirstPaint } from './webview-history-host.mjs';
import { CHROMIUM, CHROMIUM_ARGS, chromium, openPage, requireDist, startServer } from './webview-page.mjs';

/** The target for this figure (ms). */
const TARGET_MS = 300;

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} wants a positive whole number`);
  return value;
}

const runs = option('--runs', 5);
const entries = option('--entries', 10_000);
requireDist('webview-paint');

const base = {
  connection: 'connected',
  connectionDetail: '',
  self: 'maria',
  room: 'bench',
  relay: '127.0.0.1:12345',
  encrypted: true,
  members: [{ id: 1, name: 'maria', legacy: false, self: true }],
  entries: [],
  transfers: [],
  stats: undefined,
  maxTextBytes: 4000,
  unread: { since: undefined, count: 0, mentions: 0 },
  typing: [],
  hasOlder: false,
};

const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const times = [];
try {
  for (let i = 0; i < runs; i++) {
    const opened = await openPage(browser, server, { theme: 'dark' });
    try {
      times.push(await measureFirstPaint(opened.page, base, entries, Date.UTC(2025, 10, 25, 14, 2, 0)));
    } finally {
      await opened.context.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
console.log(`webview first paint, ${entries.toLocaleString('en-US')} entries: median ${median} ms (target ≤ ${TARGET_MS} ms; runs ${times.join(', ')} ms)`);
console.log(JSON.stringify({ bench: 'webview-first-paint', entries, runs: times, medianMs: median, targetMs: TARGET_MS }));
