#!/usr/bin/env node
// The one test command: builds, then runs every suite and prints "N passed, M failed" per suite and in total.
// Usage: node scripts/test.mjs [suite ...]   (suites: unit, net, webview, integration, ui; default: all)
// webview, integration and ui need Debian's chromium, and integration and ui the extension in a real VS Code
// (code-server): before the first of them, scripts/e2e-setup.mjs installs what is missing (the Debian packages with
// apt-get when run as root, else it stops with the command to run; the toolchain into .e2e/, about 2 minutes once,
// then a no-op).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mochaBin = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const reporter = path.join(root, 'scripts', 'mocha-reporter.cjs');

/**
 * Each suite: the command that runs it. Mocha suites get a spec glob and a per-test timeout (ms) that fits what
 * their tests do; e2e suites have their own runner, which prints its summary line and writes the result file.
 */
const SUITES = {
  unit: { spec: 'test/unit/**/*.test.ts', timeoutMs: 20_000 },
  net: { spec: 'test/net/**/*.test.ts', timeoutMs: 60_000 },
  // The chat panel alone in headless chromium, under its real CSP, with a stub of the VS Code API.
  webview: { runner: 'test/e2e/webview-harness.mjs', system: true },
  integration: { runner: 'test/e2e/runIntegration.mjs', e2e: true },
  ui: { runner: 'test/e2e/runUi.mjs', e2e: true },
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

/** The running child, so that a signal to this process reaches it (and this process waits for its clean-up). */
let current;
let interrupted;
function processOnSignal(signal) {
  interrupted = signal;
  if (current && current.exitCode === null && current.signalCode === null) current.kill(signal);
  else process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', () => processOnSignal('SIGINT'));
process.on('SIGTERM', () => processOnSignal('SIGTERM'));

function run(args, env) {
  return new Promise((resolve) => {
    current = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    current.on('close', (code, signal) => resolve(code ?? signal));
  });
}

/** Runs scripts/e2e-setup.mjs once per set of arguments; undefined when it succeeded, else why not. */
const setups = new Map();
function setUp(args) {
  const command = ['scripts/e2e-setup.mjs', ...args].join(' ');
  if (!setups.has(command)) {
    const done = run([path.join(root, 'scripts', 'e2e-setup.mjs'), ...args]).then((code) =>
      code === 0 ? undefined : `${command} failed (exit ${code})`,
    );
    setups.set(command, done);
  }
  return setups.get(command);
}

/** A real-VS-Code suite will run: the set-up before the first suite that needs any does it all in one go. */
const toolchainWanted = names.some((name) => SUITES[name].e2e);

/** What a suite needs installed first: the whole e2e toolchain, or only the system packages (chromium). */
function setUpFor(suite) {
  if (suite.e2e || (suite.system && toolchainWanted)) return setUp([]);
  if (suite.system) return setUp(['--system-only']);
  return Promise.resolve(undefined);
}

let passed = 0;
let failed = 0;
const started = Date.now();
for (const name of names) {
  const suite = SUITES[name];
  const resultFile = path.join(os.tmpdir(), `udpchat-test-${process.pid}-${name}.json`);
  fs.rmSync(resultFile, { force: true });
  const t0 = Date.now();
  const env = { UDPCHAT_TEST_SUITE: name, UDPCHAT_TEST_RESULT: resultFile };
  let exit;
  const setupFailure = await setUpFor(suite);
  if (setupFailure) {
    console.log(`${name}: ${setupFailure}`);
    console.log(`${name}: 0 passed, 1 failed`);
    fs.writeFileSync(resultFile, JSON.stringify({ suite: name, passes: 0, failures: 1 }));
  } else if (suite.runner) {
    exit = await run([path.join(root, suite.runner)], env);
  } else {
    exit = await run(
      [mochaBin, '--import=tsx', '--reporter', reporter, '--timeout', String(suite.timeoutMs), '--exit', suite.spec],
      env,
    );
  }
  let result;
  try {
    result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  } catch {
    result = { passes: 0, failures: 1 };
    console.log(`${name}: the suite ended without a result (exit ${exit}); counted as 1 failure`);
  }
  fs.rmSync(resultFile, { force: true });
  passed += result.passes;
  failed += result.failures;
  console.log(`[${name}] ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (interrupted) break;
}
console.log(`all suites in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
if (interrupted) process.exit(interrupted === 'SIGINT' ? 130 : 143);
process.exit(failed > 0 ? 1 : 0);
