// Runs VS Code extension integration tests (the extensionTestsPath contract: a module exporting
// run(): Promise<void>) inside code-server's real Node extension host, the workbench loaded in headless chromium.
// It is what test/e2e/bin/code-shim executes, so it takes the arguments of the `code` executable as
// @vscode/test-electron's runTests({ vscodeExecutablePath }) passes them:
//   --extensionDevelopmentPath=DIR (repeatable) --extensionTestsPath=FILE [--user-data-dir=DIR]
//   [--extensions-dir=DIR] [FOLDER]      (Electron-only flags such as --no-sandbox are accepted and ignored)
// It forwards the extension host's test log to stdout and exits with the tests' exit code: 0 when run() resolved,
// 1 when it rejected, 3 on timeout (UDPCHAT_E2E_TIMEOUT_MS, default 300000; screenshot in
// .test-artifacts/integration/), 4 when the harness itself failed. code-server and chromium are always stopped.
import fs from 'node:fs';
import path from 'node:path';
import { format } from 'node:util';
import { fileURLToPath } from 'node:url';
import { makeRunDir, remoteUri, startCodeServer, workbenchUrl } from './code-server.mjs';
import { ARTIFACTS } from './toolchain.mjs';
import { closeBrowser, launchBrowser } from './workbench.mjs';

export const EXIT_TIMEOUT = 3;
export const EXIT_HARNESS_ERROR = 4;
const DEFAULT_TIMEOUT_MS = 300_000; // from opening the workbench (~5 s) to the last test's end

/** Lines of the workbench's own chatter that say nothing about the tests. */
const NOISE = new RegExp(
  [
    'open-vsx\\.org', // no marketplace here
    "authentication provider 'github'",
    '^\\[(reconnection|AgentHost|AccountPolicyGate|Service Worker)',
    'socket \\(',
    'connection token',
    'builtin extensions cache',
    'marketplace',
    'extensionGallery',
    '\\[UriError\\]',
    'Unable to resolve nonexistent file .*/\\.vscode/',
  ].join('|'),
  'i',
);

/** Arguments `code` takes that mean nothing here (Electron sandboxing, update checks, welcome pages). */
const IGNORED_FLAGS = new Set([
  'no-sandbox',
  'disable-gpu-sandbox',
  'disable-gpu',
  'disable-updates',
  'skip-welcome',
  'skip-release-notes',
  'disable-workspace-trust',
  'disable-extensions', // the extensions dir is fresh for each run: nothing but built-ins to disable
  'disable-telemetry',
  'new-window',
  'wait',
]);
const VALUE_FLAGS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);

/** Parses `code`-style arguments into runInCodeServer options. */
export function parseCodeArgs(argv) {
  const options = { extensionDevelopmentPath: [], ignored: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const match = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      options.folder = arg;
      continue;
    }
    const [, key, inline] = match;
    if (!VALUE_FLAGS.has(key)) {
      if (!IGNORED_FLAGS.has(key)) options.ignored.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (key === 'extensionDevelopmentPath') options.extensionDevelopmentPath.push(value);
    else if (key === 'extensionTestsPath') options.extensionTestsPath = value;
    else if (key === 'user-data-dir') options.userDataDir = value;
    else if (key === 'extensions-dir') options.extensionsDir = value;
  }
  return options;
}

/**
 * Runs the tests and resolves with their exit code. Never rejects: a harness failure is EXIT_HARNESS_ERROR.
 * @param {{extensionDevelopmentPath: string[], extensionTestsPath: string, folder?: string, userDataDir?: string,
 *   extensionsDir?: string, timeoutMs?: number, log?: (line: string) => void, verbose?: boolean}} options
 */
export async function runInCodeServer(options) {
  const started = Date.now();
  const log = options.log ?? ((line) => console.log(line));
  const timeoutMs = options.timeoutMs ?? (Number(process.env.UDPCHAT_E2E_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS);
  const verbose = options.verbose ?? Boolean(process.env.UDPCHAT_E2E_VERBOSE);
  // runIntegration.mjs passes its own run folder (and removes it); alone, the runner makes and removes one
  const ownRunDir = !process.env.UDPCHAT_E2E_RUN_DIR;
  const runDir = process.env.UDPCHAT_E2E_RUN_DIR || makeRunDir('integration');
  let server;
  let browser;
  let code = EXIT_HARNESS_ERROR;
  const mark = (what) => verbose && log(`[cs-test-runner] ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  try {
    server = await startCodeServer({
      runDir,
      userDataDir: options.userDataDir,
      extensionsDir: options.extensionsDir,
      workspace: options.folder,
      smokeTestDriver: true, // development mode through the URL payload works only with it
    });
    const payload = [
      ...options.extensionDevelopmentPath.map((dir) => ['extensionDevelopmentPath', remoteUri(server, dir)]),
      ['extensionTestsPath', remoteUri(server, options.extensionTestsPath)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    mark(`code-server up on ${server.baseUrl}`);
    browser = await launchBrowser();
    mark('chromium up');
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let finish;
    const finished = new Promise((resolve) => (finish = resolve));
    // The smoke-test driver reports the test run through these two page functions.
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const line = format(...(Array.isArray(args) ? args : [args]));
      if (verbose || !NOISE.test(line)) log(type === 'error' ? `[err] ${line}` : line);
    });
    await page.exposeFunction('codeAutomationExit', (exitCode) => finish(Number(exitCode)));
    page.on('pageerror', (error) => log(`[pageerror] ${error.message}`));
    page.on('crash', () => finish(EXIT_HARNESS_ERROR));
    let timer;
    const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    await Promise.race([page.goto(workbenchUrl(server, server.workspace, payload)), timedOut]);
    mark('workbench page loaded');
    const outcome = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const shot = path.join(ARTIFACTS, 'integration', `timeout-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
      fs.mkdirSync(path.dirname(shot), { recursive: true });
      await page.screenshot({ path: shot, timeout: 10_000 }).catch(() => {});
      log(`[cs-test-runner] no result after ${timeoutMs} ms (UDPCHAT_E2E_TIMEOUT_MS); screenshot: ${shot}`);
      code = EXIT_TIMEOUT;
    } else {
      code = outcome;
    }
  } catch (error) {
    log(`[cs-test-runner] ${error.stack ?? error}`);
    code = EXIT_HARNESS_ERROR;
  } finally {
    await closeBrowser(browser);
    await server?.stop();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (code === 0) {
    if (ownRunDir) fs.rmSync(runDir, { recursive: true, force: true });
    log(`[cs-test-runner] exit code 0 after ${seconds} s`);
  } else {
    log(`[cs-test-runner] exit code ${code} after ${seconds} s; code-server log and user data kept in ${runDir}`);
  }
  return code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = parseCodeArgs(process.argv.slice(2));
  if (!options.extensionTestsPath || options.extensionDevelopmentPath.length === 0) {
    console.error(
      'usage: cs-test-runner.mjs --extensionDevelopmentPath=DIR --extensionTestsPath=FILE ' +
        '[--user-data-dir=DIR] [--extensions-dir=DIR] [FOLDER]',
    );
    process.exit(2);
  }
  if (options.ignored.length > 0) console.log(`[cs-test-runner] ignoring ${options.ignored.join(' ')}`);
  process.exit(await runInCodeServer(options));
}
