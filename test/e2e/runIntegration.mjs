#!/usr/bin/env node
// The integration suite: the extension's mocha tests run inside a real VS Code extension host, through the standard
// @vscode/test-electron entry point runTests(). Here "VS Code" is test/e2e/bin/code-shim (code-server + headless
// chromium); on a desktop, UDPCHAT_E2E_VSCODE=download makes runTests download VS Code instead (into
// .e2e/vscode-download; UDPCHAT_E2E_VSCODE_VERSION picks the release, default stable), and
// UDPCHAT_E2E_VSCODE=/path/to/code uses an installed one.
// What it tests comes from test/e2e/config.mjs; files named *.reopen.test.* run in a second VS Code opened on the
// first one's user data, after it closed. Prints "integration: N passed, M failed" and, when
// UDPCHAT_TEST_RESULT names a file, writes { suite, passes, failures, pending } there (scripts/test.mjs reads it).
// Usage: node test/e2e/runIntegration.mjs        (needs node scripts/e2e-setup.mjs once)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { childPids, killProcessGroup, makeRunDir } from './harness/code-server.mjs';
import { E2E_HOME, REPO_ROOT } from './harness/toolchain.mjs';
import { extensionPath, findTestFiles, integration, missingForSuite, prepareWorkspace } from './config.mjs';

const SUITE = 'integration';
const SHIM = path.join(REPO_ROOT, 'test', 'e2e', 'bin', 'code-shim');
const HOST_MOCHA = path.join(REPO_ROOT, 'test', 'e2e', 'harness', 'host-mocha.cjs');
const REPORTER = path.join(REPO_ROOT, 'scripts', 'mocha-reporter.cjs');
/** Test files that run after VS Code closed and opened again (see runVsCode below). */
const REOPEN_TEST = /\.reopen\.test\.[cm]?[jt]s$/;

function finish(result, exitCode) {
  console.log(`${SUITE}: ${result.passes} passed, ${result.failures} failed`);
  if (process.env.UDPCHAT_TEST_RESULT) {
    fs.writeFileSync(process.env.UDPCHAT_TEST_RESULT, JSON.stringify({ suite: SUITE, ...result }) + '\n');
  }
  process.exit(exitCode);
}

/** Bundles each test file (TypeScript or JavaScript) into outDir; `vscode` and `mocha` stay external. */
async function bundleTests(files, outDir) {
  const esbuild = await import('esbuild');
  fs.rmSync(outDir, { recursive: true, force: true });
  const entryPoints = Object.fromEntries(
    files.map((file, i) => [`${String(i).padStart(3, '0')}-${path.basename(file).replace(/\.[cm]?[jt]s$/, '')}`, file]),
  );
  await esbuild.build({
    entryPoints,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  // SQLite's WebAssembly is read from the folder of the bundle that loads it (tests open relay history stores)
  fs.copyFileSync(path.join(REPO_ROOT, 'node_modules', 'node-sqlite3-wasm', 'dist', 'node-sqlite3-wasm.wasm'), path.join(outDir, 'node-sqlite3-wasm.wasm'));
  return Object.keys(entryPoints).map((name) => path.join(outDir, `${name}.js`));
}

/** The code shim, a downloaded VS Code (undefined: runTests downloads it), or an installed `code`. */
function vscodeExecutable() {
  const choice = process.env.UDPCHAT_E2E_VSCODE;
  if (!choice) return SHIM;
  if (choice === 'download') return undefined;
  return path.resolve(choice);
}

// runTests' child (the shim or VS Code) does not get a SIGTERM sent to this process alone: pass it on and wait.
let stopping = false;
async function processOnTerminate(signal) {
  if (stopping) return;
  stopping = true;
  const children = childPids(/./);
  for (const pid of children) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
  await Promise.all(children.map((pid) => killProcessGroup(pid, { graceMs: 15_000 })));
  finish({ passes: 0, failures: 1 }, 128 + (signal === 'SIGINT' ? 2 : 15));
}
process.on('SIGTERM', () => processOnTerminate('SIGTERM'));
process.on('SIGHUP', () => processOnTerminate('SIGTERM'));
process.on('SIGINT', () => processOnTerminate('SIGINT'));

// nothing to test is a failure, not a skip
const missing = missingForSuite(SUITE);
if (missing) {
  console.log(`${SUITE}: cannot run: ${missing}`);
  finish({ passes: 0, failures: 1, pending: 0 }, 1);
}

const testFiles = findTestFiles(integration.testsDir, integration.testFile);
// `*.reopen.test.*` files run in a second VS Code started on the same user data (and workspace) after the first
// one closed: what the extension kept (its global storage) is what a user finds when VS Code opens again.
const reopenFiles = testFiles.filter((file) => REOPEN_TEST.test(path.basename(file)));
const firstFiles = testFiles.filter((file) => !reopenFiles.includes(file));

const runDir = makeRunDir('integration-tests');
const workspace = prepareWorkspace(path.join(runDir, 'ws'));
// A devDependency of the project (package.json), resolved from its node_modules.
const { runTests } = createRequire(import.meta.url)('@vscode/test-electron');

/** One VS Code run of `files`: its exit code and what its tests reported (undefined: nothing). */
async function runVsCode(files, phase) {
  const bundled = await bundleTests(files, path.join(runDir, `tests-${phase}`));
  const innerResult = path.join(runDir, `result-${phase}.json`);
  let code;
  try {
    code = await runTests({
      vscodeExecutablePath: vscodeExecutable(),
      // used only with UDPCHAT_E2E_VSCODE=download: where the download is kept, and which release
      cachePath: path.join(E2E_HOME, 'vscode-download'),
      version: process.env.UDPCHAT_E2E_VSCODE_VERSION || 'stable',
      extensionDevelopmentPath: extensionPath,
      extensionTestsPath: HOST_MOCHA,
      launchArgs: [
        workspace,
        '--disable-extensions',
        `--user-data-dir=${path.join(runDir, 'data')}`,
        `--extensions-dir=${path.join(runDir, 'exts')}`,
      ],
      extensionTestsEnv: {
        UDPCHAT_E2E_TEST_FILES: JSON.stringify(bundled),
        UDPCHAT_E2E_MOCHA_TIMEOUT_MS: String(integration.mochaTimeoutMs),
        UDPCHAT_E2E_TIMEOUT_MS: String(integration.runTimeoutMs),
        UDPCHAT_MOCHA_REPORTER: REPORTER,
        // the reporter's own summary line must not look like this suite's closing line: this script prints that
        UDPCHAT_TEST_SUITE: phase === 'first' ? 'extension host tests' : 'extension host tests after reopening',
        UDPCHAT_TEST_RESULT: innerResult,
        UDPCHAT_E2E_RUN_DIR: runDir, // the shim keeps code-server's folders here too; tests share state through it
      },
    });
  } catch (error) {
    // TestRunFailedError carries the executable's exit code; anything else (a failed download) is a harness error
    code = typeof error?.code === 'number' ? error.code : 1;
    if (typeof error?.code !== 'number') console.error(`${SUITE}: ${error?.message ?? error}`);
  }
  try {
    const inner = JSON.parse(fs.readFileSync(innerResult, 'utf8'));
    return { code, result: { passes: inner.passes, failures: inner.failures, pending: inner.pending } };
  } catch {
    console.log(`${SUITE}: the ${phase} run's tests did not report a result (exit ${code})`);
    return { code, result: undefined };
  }
}

const phases = [await runVsCode(firstFiles, 'first')];
if (reopenFiles.length > 0 && !stopping) phases.push(await runVsCode(reopenFiles, 'reopened'));

if (stopping) await new Promise(() => {}); // processOnTerminate reports and exits

const exitCode = phases.find((phase) => phase.code !== 0)?.code ?? 0;
const result = { passes: 0, failures: 0, pending: 0 };
for (const phase of phases) {
  result.passes += phase.result?.passes ?? 0;
  result.pending += phase.result?.pending ?? 0;
  // a run that failed outside any test (start-up, a crash, a timeout) still counts as a failure
  result.failures += phase.result?.failures || (phase.code !== 0 ? 1 : 0);
}
if (exitCode === 0 && result.failures === 0) fs.rmSync(runDir, { recursive: true, force: true });
else console.log(`${SUITE}: bundled tests and logs kept in ${path.relative(process.cwd(), runDir) || runDir}`);
finish(result, exitCode === 0 && result.failures === 0 ? 0 : 1);
