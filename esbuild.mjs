// Builds every bundle the product ships, plus the benchmarks:
//   dist/extension.js     the VS Code extension host entry (node, cjs, `vscode` external)
//   dist/cli.js           the `udp-chat` command (node, cjs)
//   dist/image-worker.js  the jimp worker thread used by both
//   dist/history-worker.js  the extension's local history (SQLite) in a worker thread
//   dist/history-store-worker.js  the relay's history (SQLite) in a worker thread, off the relay's own thread
//   dist/relay-worker.js  the relay the extension hosts, with its history (SQLite), in a worker thread
//   dist/webview.js       the chat panel (browser, iife) and dist/webview.css, its styles
//   dist/bench/*.js       benchmarks (node)
//   dist/node-sqlite3-wasm.wasm  SQLite for the history stores, next to every node bundle that may load it
// Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeCommon = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
};

/** Entry points that exist: a bundle is skipped until its source is written. */
const exists = (p) => fs.existsSync(path.join(root, p));

const builds = [];
if (exists('src/extension/extension.ts')) {
  // The banner marks when the bundle began to run, so activation's time includes evaluating it (extension.ts).
  builds.push({
    ...nodeCommon,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    // It says "use strict" first: a directive counts only at the very top, and the bundle is strict code.
    banner: { js: '"use strict"; globalThis.__udpChatBundleStart = performance.now();' },
  });
}
if (exists('src/cli/main.ts')) {
  builds.push({
    ...nodeCommon,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  });
}
if (exists('src/image/worker.ts')) {
  builds.push({ ...nodeCommon, entryPoints: { 'image-worker': 'src/image/worker.ts' }, outdir: 'dist' });
}
if (exists('src/history/local-worker.ts')) {
  builds.push({ ...nodeCommon, entryPoints: { 'history-worker': 'src/history/local-worker.ts' }, outdir: 'dist' });
}
if (exists('src/history/store-worker.ts')) {
  builds.push({ ...nodeCommon, entryPoints: { 'history-store-worker': 'src/history/store-worker.ts' }, outdir: 'dist' });
}
if (exists('src/relay/worker.ts')) {
  builds.push({ ...nodeCommon, entryPoints: { 'relay-worker': 'src/relay/worker.ts' }, outdir: 'dist' });
}
/**
 * libvips (wasm-vips) ships as emscripten glue plus WebAssembly. The worker loads the glue by path instead of
 * bundling it, because libvips' pthread workers re-run the glue file itself; both go next to dist/image-worker.js.
 * Only vips.wasm: the HEIF/JXL/SVG side modules are never loaded (see src/image/vips-jimp.ts).
 */
const IMAGE_WORKER_ASSETS = [
  ['node_modules/wasm-vips/lib/vips-node.js', 'dist/vips-node.js'],
  ['node_modules/wasm-vips/lib/vips.wasm', 'dist/vips.wasm'],
  ['node_modules/wasm-vips/LICENSE', 'dist/vips-LICENSE.txt'],
  ['node_modules/wasm-vips/THIRD-PARTY-NOTICES.md', 'dist/vips-THIRD-PARTY-NOTICES.md'],
];
function copyImageWorkerAssets() {
  if (!exists('src/image/worker.ts')) return;
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  for (const [from, to] of IMAGE_WORKER_ASSETS) fs.copyFileSync(path.join(root, from), path.join(root, to));
}
/**
 * SQLite (node-sqlite3-wasm) is bundled as JavaScript, but its glue reads `node-sqlite3-wasm.wasm` from
 * `__dirname`, i.e. the folder of whichever bundle runs it: dist/ for the extension and the CLI, dist/bench/ for
 * the benchmarks.
 */
const SQLITE_ASSETS = [
  ['node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.wasm', 'dist/node-sqlite3-wasm.wasm'],
  ['node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.wasm', 'dist/bench/node-sqlite3-wasm.wasm'],
  ['node_modules/node-sqlite3-wasm/LICENSE', 'dist/node-sqlite3-wasm-LICENSE.txt'],
];
function copySqliteAssets() {
  if (!exists('src/history/sqlite.ts')) return;
  for (const [from, to] of SQLITE_ASSETS) {
    fs.mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
    fs.copyFileSync(path.join(root, from), path.join(root, to));
  }
}
if (exists('webview/main.ts')) {
  builds.push({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist', // webview/main.ts imports styles.css: esbuild writes it to dist/webview.css
    metafile: true, // which packages the bundle holds: their licences go into dist/webview-THIRD-PARTY-NOTICES.txt
  });
}
const benchDir = path.join(root, 'bench');
const benches = fs.existsSync(benchDir)
  ? fs.readdirSync(benchDir).filter((f) => f.endsWith('.ts')).map((f) => path.join('bench', f))
  : [];
if (benches.length > 0) {
  builds.push({ ...nodeCommon, entryPoints: benches, outdir: 'dist/bench' });
}

/**
 * The licence of every package bundled into dist/webview.js (markdown-it, highlight.js, the webview toolkit, …),
 * found from the build's metafile so the list follows the bundle: MIT and BSD licences ask that their text ship
 * with the code.
 */
function writeWebviewNotices(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match && !packages.has(match[2])) packages.set(match[2], path.join(root, match[1]));
  }
  const sections = [...packages].sort(([a], [b]) => a.localeCompare(b)).map(([name, dir]) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = fs.readdirSync(dir).find((entry) => /^licen[cs]e(\.(md|txt))?$/i.test(entry));
    const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `License: ${manifest.license ?? 'see the package'}`;
    return `${name} ${manifest.version ?? ''}\n${'-'.repeat(72)}\n${text}\n`;
  });
  const header = 'The chat panel (dist/webview.js) bundles these packages; each is used under the licence that follows its name.\n\n';
  fs.writeFileSync(path.join(root, 'dist/webview-THIRD-PARTY-NOTICES.txt'), header + sections.join('\n'));
}

copyImageWorkerAssets();
copySqliteAssets();
if (watch) {
  for (const options of builds) {
    const context = await esbuild.context({ ...options, absWorkingDir: root });
    await context.watch();
  }
  console.log(`watching ${builds.length} bundles`);
} else {
  const results = await Promise.all(builds.map((options) => esbuild.build({ ...options, absWorkingDir: root })));
  for (const result of results) if (result.metafile?.outputs['dist/webview.js']) writeWebviewNotices(result.metafile);
  if (fs.existsSync(path.join(root, 'dist/cli.js'))) fs.chmodSync(path.join(root, 'dist/cli.js'), 0o755);
}
