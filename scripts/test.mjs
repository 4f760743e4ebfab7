#!/usr/bin/env node
// The one test command: builds, then runs every suite and prints "N passed, M failed" per suite and in total.
// Usage: node scripts/test.mjs [suite ...]   (suites: unit, net; default: all)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mochaBin = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const reporter = path.join(root, 'scripts', 'mocha-reporter.cjs');

/** Each suite: the mocha spec glob and a per-test timeout (ms) that fits what its tests do. */
const SUITES = {
  unit: { spec: 'test/unit/**/*.test.ts', timeoutMs: 20_000 },
  net: { spec: 'test/net/**/*.test.ts', timeoutMs: 60_000 },
};

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(SUITES);
for (const name of names) {
  if (!(name in SUITES)) {
    console.error(`unknown suite "${name}"; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
}

const build = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.log('build: 0 passed, 1 failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let passed = 0;
let failed = 0;
const started = Date.now();
for (const name of names) {
  const suite = SUITES[name];
  const resultFile = path.join(os.tmpdir(), `udpchat-test-${process.pid}-${name}.json`);
  fs.rmSync(resultFile, { force: true });
  const t0 = Date.now();
  const run = spawnSync(
    process.execPath,
    [mochaBin, '--import=tsx', '--reporter', reporter, '--timeout', String(suite.timeoutMs), '--exit', suite.spec],
    { cwd: root, stdio: 'inherit', env: { ...process.env, UDPCHAT_TEST_SUITE: name, UDPCHAT_TEST_RESULT: resultFile } },
  );
  let result;
  try {
    result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  } catch {
    result = { passes: 0, failures: 1 };
    console.log(`${name}: the suite ended without a result (exit ${run.status ?? run.signal}); counted as 1 failure`);
  }
  fs.rmSync(resultFile, { force: true });
  passed += result.passes;
  failed += result.failures;
  console.log(`[${name}] ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
console.log(`all suites in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
