// Start and stop code-server (= the real VS Code workbench and Node extension host) for the e2e suites, and the
// process bookkeeping that makes sure nothing it or chromium started outlives a run: every child is started in
// its own process group, stopped by group (SIGTERM, then SIGKILL), and killed from 'exit' and signal handlers too.
//
//   const server = await startCodeServer({ extensions: [{ folder: '/path/to/ext' }], workspace: '/path/to/ws' });
//   ... server.url ...
//   await server.stop();
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CODE_SERVER_ENTRY, E2E_HOME, NODE24 } from './toolchain.mjs';

const HEALTH_TIMEOUT_MS = 60_000; // /healthz answers in 0.3-0.6 s; a cold 2-core machine under load needs more
const STOP_GRACE_MS = 5_000; // the launcher and everything under it end within ~3 s of SIGTERM
const POLL_MS = 100;

/** Settings that keep the workbench quiet: no welcome page, trust prompt, telemetry, update or AI nags. */
export const QUIET_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden', // the empty chat side bar
  // run folders sit inside the repo's git tree: no "open the parent repository?" prompt
  'git.openRepositoryInParentFolders': 'never',
  'git.autoRepositoryDetection': false,
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------------
// Process groups and cleanup

/** pid -> name of every process group this process started and has not yet seen stopped. */
const liveGroups = new Map();
/** pid -> the watchdog shell that kills that group should this process die without cleaning up. */
const watchdogs = new Map();
/** Async cleanups (close a browser, stop a server) run on SIGINT/SIGTERM/SIGHUP before exiting. */
const cleanups = new Set();
let handlersInstalled = false;

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal); // not a group leader after all
    } catch {
      /* already gone */
    }
  }
}

/**
 * Stops a process group by its leader's pid: SIGTERM, then SIGKILL after graceMs. Resolves once no process of the
 * group is left (or after the SIGKILL).
 */
export async function killProcessGroup(pid, { graceMs = STOP_GRACE_MS } = {}) {
  if (!pid) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && (groupAlive(pid) || isAlive(pid))) await sleep(POLL_MS);
  if (groupAlive(pid) || isAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    for (let i = 0; i < 20 && groupAlive(pid); i++) await sleep(POLL_MS);
  }
  dismissWatchdog(pid); // only now: should this process die half-way, the watchdog still finishes the job
  liveGroups.delete(pid);
}

// Waits for end-of-file on stdin, then stops group $1 (dash's kill takes no "--": "-PGID" follows the signal).
const WATCHDOG_SCRIPT =
  'while read -r _; do :; done; kill -TERM "-$1" 2>/dev/null; sleep 3; kill -KILL "-$1" 2>/dev/null';

/**
 * Remembers a process group so that 'exit' and signal handlers kill it if nobody stopped it first, and starts a
 * watchdog for the case no handler runs (this process SIGKILLed): a shell reading a pipe from this process, which
 * sees end-of-file when this process dies however it dies, and then kills the group.
 */
export function trackProcessGroup(pid, name) {
  liveGroups.set(pid, name);
  installExitHandlers();
  const watchdog = spawn(
    'sh',
    ['-c', WATCHDOG_SCRIPT, 'sh', String(pid)],
    { stdio: ['pipe', 'ignore', 'ignore'], detached: true },
  );
  watchdog.unref();
  watchdog.stdin.unref?.();
  watchdog.stdin.on('error', () => {});
  watchdogs.set(pid, watchdog);
  return () => killProcessGroup(pid);
}

/** Ends a group's watchdog without letting it fire (the group is being stopped by us, or is gone). */
function dismissWatchdog(pid) {
  const watchdog = watchdogs.get(pid);
  if (!watchdog) return;
  watchdogs.delete(pid);
  try {
    watchdog.kill('SIGKILL');
  } catch {
    /* gone */
  }
}

/** Registers an async cleanup run before exiting on a signal; returns its unregister function. */
export function onSignalCleanup(fn) {
  cleanups.add(fn);
  installExitHandlers();
  return () => cleanups.delete(fn);
}

function processOnExit() {
  // 'exit' handlers cannot wait: SIGKILL whatever is still running.
  for (const pid of liveGroups.keys()) {
    dismissWatchdog(pid);
    signalGroup(pid, 'SIGKILL');
  }
}

let exiting = false;
async function processOnSignal(signal) {
  // Ctrl+C reaches every process of the terminal's group, and parents forward signals too: clean up once, and do
  // not let a second signal kill this process half-way (a detached code-server would survive it).
  if (exiting) return;
  exiting = true;
  const code = 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15);
  console.error(`[e2e] ${signal}: stopping ${[...liveGroups.values()].join(', ') || 'nothing'}`);
  const deadline = sleep(STOP_GRACE_MS + 2_000);
  await Promise.race([
    Promise.allSettled([...cleanups].map((fn) => fn())).then(() =>
      Promise.allSettled([...liveGroups.keys()].map((pid) => killProcessGroup(pid))),
    ),
    deadline,
  ]);
  process.exit(code);
}

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', processOnExit);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => processOnSignal(signal));
}

/**
 * Pids of this process's direct children whose command line matches `pattern`, read from /proc (playwright does
 * not tell the pid of the browser it launched).
 */
export function childPids(pattern, parent = process.pid) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (pattern.test(cmdline)) pids.push(Number(entry));
    } catch {
      /* the process ended while we looked */
    }
  }
  return pids;
}

// ---------------------------------------------------------------------------------------------------------------
// Ports, folders, extensions

/** A free TCP port on 127.0.0.1 (the OS picks it; the tiny race until code-server binds it is acceptable). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const KEPT_RUNS = 10; // failed runs keep their folder for the logs; only the newest few

/** A fresh run folder under .e2e/runs (git-ignored); kept after a failure for its logs. */
export function makeRunDir(kind) {
  const base = path.join(E2E_HOME, 'runs');
  fs.mkdirSync(base, { recursive: true });
  const runs = [];
  for (const name of fs.readdirSync(base)) {
    try {
      runs.push({ dir: path.join(base, name), mtime: fs.statSync(path.join(base, name)).mtimeMs });
    } catch {
      /* removed by a run finishing at the same time */
    }
  }
  runs.sort((a, b) => b.mtime - a.mtime);
  for (const { dir } of runs.slice(KEPT_RUNS)) fs.rmSync(dir, { recursive: true, force: true });
  return fs.mkdtempSync(path.join(base, `${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}-`));
}

function readPackageJson(folder) {
  return JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
}

/** The identifier VS Code gives an extension folder: publisher.name */
export function extensionId(folder) {
  const pkg = readPackageJson(folder);
  return `${pkg.publisher}.${pkg.name}`;
}

/** Files an installed extension needs when package.json has no "files" list (vsce packs more; these suffice). */
const DEFAULT_EXTENSION_FILES = [
  'package.json',
  'package.nls.json',
  'dist',
  'out',
  'media',
  'resources',
  'images',
  'assets',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  'LICENSE.md',
];

/** Finds the folder of an installed package the way require() would, starting at `from`. */
function findPackageDir(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Runtime dependency folders (dependencies + optionalDependencies, transitively), keyed by package name. */
function runtimeDependencies(folder) {
  const found = new Map();
  const queue = [[folder, readPackageJson(folder)]];
  while (queue.length > 0) {
    const [dir, pkg] = queue.shift();
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (found.has(name)) continue;
      const depDir = findPackageDir(name, dir);
      if (!depDir) continue; // an optional dependency for another platform
      found.set(name, depDir);
      queue.push([depDir, readPackageJson(depDir)]);
    }
  }
  return found;
}

/** Whether .vscodeignore leaves node_modules out of the package (a bundled extension: vsce would not ship them). */
function ignoresNodeModules(folder) {
  const file = path.join(folder, '.vscodeignore');
  if (!fs.existsSync(file)) return false;
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim());
  const excluded = lines.some((line) => line === '**' || /^\/?node_modules(\/\*\*)?\/?$/.test(line));
  return excluded && !lines.some((line) => /^!\/?node_modules/.test(line));
}

/**
 * Installs an extension folder the way the Marketplace would leave it: a copy named PUBLISHER.NAME-VERSION in
 * extensionsDir, with its entry points, package.json's "files" (or the usual built folders) and its runtime
 * dependencies under node_modules (unless dependencies is false; by default, unless .vscodeignore leaves out
 * node_modules). Returns the installed folder.
 */
export function installExtensionFolder(folder, extensionsDir, { dependencies = !ignoresNodeModules(folder) } = {}) {
  const pkg = readPackageJson(folder);
  const target = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  // the entry points and icon always, whatever "files" says (vsce does the same)
  const entries = [pkg.main, pkg.browser, pkg.icon]
    .filter(Boolean)
    .map((file) => path.normalize(file))
    .map((file) => (fs.existsSync(path.join(folder, file)) ? file : `${file}.js`));
  const files = [...new Set(['package.json', ...entries, ...(pkg.files ?? DEFAULT_EXTENSION_FILES)])];
  for (const file of files) {
    const from = path.join(folder, file);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    fs.cpSync(from, path.join(target, file), { recursive: true, dereference: true });
  }
  if (dependencies) {
    for (const [name, dir] of runtimeDependencies(folder)) {
      const to = path.join(target, 'node_modules', name);
      if (!fs.existsSync(to)) fs.cpSync(dir, to, { recursive: true, dereference: true });
    }
  }
  return target;
}

function serverEnv(runDir, env) {
  return {
    ...process.env,
    ...env,
    // keep code-server's and chromium's side files (config.yaml, crash reports, caches) out of $HOME
    XDG_CONFIG_HOME: path.join(runDir, 'xdg-config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg-cache'),
  };
}

/** Installs a .vsix (built with @vscode/vsce) into extensionsDir with code-server's own --install-extension. */
export function installVsix(vsix, { extensionsDir, userDataDir, runDir }) {
  execFileSync(
    NODE24,
    [CODE_SERVER_ENTRY, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix],
    { env: serverEnv(runDir, {}), stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
}

function writeSettings(userDataDir, settings) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2) + '\n');
}

function checkInstalled() {
  for (const file of [NODE24, CODE_SERVER_ENTRY]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run node scripts/e2e-setup.mjs`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// code-server

/**
 * Starts code-server on 127.0.0.1 and waits for /healthz.
 * @param {object} [options]
 * @param {string} [options.runDir]      folder for data/, exts/, xdg-*, ws/, code-server.log
 *                                       (default: a new one under .e2e/runs)
 * @param {number} [options.port]        default: a free port
 * @param {Array<string | {folder: string, dependencies?: boolean} | {vsix: string}>} [options.extensions]
 *        extensions to install first: a folder is copied (see installExtensionFolder), a .vsix installed
 * @param {string} [options.workspace]   folder the workbench URL opens (default: runDir/ws, created empty)
 * @param {object} [options.settings]    user settings merged over QUIET_SETTINGS
 * @param {boolean} [options.smokeTestDriver]  start with --vscode-option enable-smoke-test-driver (integration runs)
 * @param {object} [options.env]         extra environment for the server and its extension host
 * @param {string} [options.userDataDir] default runDir/data
 * @param {string} [options.extensionsDir] default runDir/exts
 * @returns {Promise<{url: string, baseUrl: string, port: number, pid: number, runDir: string, workspace: string,
 *   userDataDir: string, extensionsDir: string, logFile: string, exited: Promise<number | string>,
 *   stop: () => Promise<void>}>}
 */
export async function startCodeServer(options = {}) {
  checkInstalled();
  const runDir = options.runDir ?? makeRunDir('code-server');
  const userDataDir = options.userDataDir ?? path.join(runDir, 'data');
  const extensionsDir = options.extensionsDir ?? path.join(runDir, 'exts');
  const workspace = path.resolve(options.workspace ?? path.join(runDir, 'ws'));
  for (const dir of [runDir, userDataDir, extensionsDir, workspace]) fs.mkdirSync(dir, { recursive: true });
  writeSettings(userDataDir, options.settings ?? {});

  for (const extension of options.extensions ?? []) {
    const spec = typeof extension === 'string' ? extension : (extension.folder ?? extension.vsix);
    if (spec.endsWith('.vsix')) installVsix(spec, { extensionsDir, userDataDir, runDir });
    else installExtensionFolder(spec, extensionsDir, { dependencies: extension.dependencies });
  }

  if (options.port !== undefined && !(await portIsFree(options.port))) {
    throw new Error(`port ${options.port} on 127.0.0.1 is in use (an earlier code-server?); choose another one`);
  }
  const port = options.port ?? (await freePort());
  const logFile = path.join(runDir, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const args = [
    CODE_SERVER_ENTRY,
    '--config', path.join(runDir, 'config.yaml'),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
  ];
  if (options.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  // detached: its own process group, so one kill reaches the extension host, pty host and watchers too
  const child = spawn(NODE24, args, {
    env: serverEnv(runDir, options.env ?? {}),
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const stopGroup = trackProcessGroup(child.pid, `code-server:${port}`);
  let stopped;
  const stop = () => (stopped ??= stopGroup());

  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(baseUrl, child, options.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `${baseUrl}/?folder=${encodeURIComponent(workspace)}`,
    baseUrl,
    port,
    pid: child.pid,
    runDir,
    workspace,
    userDataDir,
    extensionsDir,
    logFile,
    /** Resolves with the exit code (or signal) when code-server ends, for whatever reason. */
    exited,
    stop,
  };
}

async function waitForHealth(baseUrl, child, timeoutMs, logFile) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`code-server exited during start-up; see ${logFile}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }
  throw new Error(`code-server did not answer ${baseUrl}/healthz within ${timeoutMs} ms; see ${logFile}`);
}

/**
 * The workbench URL for a folder, optionally with a payload (e.g. extensionDevelopmentPath, which needs the
 * smoke-test driver).
 */
export function workbenchUrl(server, folder = server.workspace, payload) {
  let url = `${server.baseUrl}/?folder=${encodeURIComponent(path.resolve(folder))}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/** A path on the server's machine as the workbench addresses it in a payload. */
export function remoteUri(server, file) {
  return `vscode-remote://127.0.0.1:${server.port}${path.resolve(file)}`;
}
