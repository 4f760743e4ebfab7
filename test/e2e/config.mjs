// What the integration and UI suites test: the one place that names the extension, its tests and the workspace
// they open. The machinery (toolchain, code-server, chromium) is in harness/.
//
// Each value can be overridden from the environment, which is how the harness was proven against a scratch
// demo extension outside the repo:
//   UDPCHAT_E2E_EXTENSION=DIR        the extension folder (package.json + its built main)   default: the repo
//   UDPCHAT_E2E_INTEGRATION_TESTS=DIR  mocha files *.test.{ts,js} run inside the extension host
//                                                                       default: test/e2e/integration
//   UDPCHAT_E2E_UI_TESTS=DIR         modules *.ui.{mjs,ts} driving the workbench      default: test/e2e/ui
//   UDPCHAT_E2E_WORKSPACE=DIR        copied into a fresh folder that the workbench opens
//                                                                       default: test/e2e/fixtures/workspace
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './harness/toolchain.mjs';

const fromEnv = (name, fallback) => path.resolve(REPO_ROOT, process.env[name] || fallback);

export const extensionPath = fromEnv('UDPCHAT_E2E_EXTENSION', '.');

/** The workspace the workbench opens: a fresh copy of this folder for each run (missing = empty workspace). */
export const workspaceFixture = fromEnv('UDPCHAT_E2E_WORKSPACE', 'test/e2e/fixtures/workspace');

export const integration = {
  /** Every file here (recursively) matching testFile is bundled with esbuild and run by mocha in the extension host. */
  testsDir: fromEnv('UDPCHAT_E2E_INTEGRATION_TESTS', 'test/e2e/integration'),
  testFile: /\.test\.[cm]?[jt]s$/,
  mochaTimeoutMs: 20_000, // one test: activation, a command, a webview round trip
  runTimeoutMs: Number(process.env.UDPCHAT_E2E_TIMEOUT_MS) || 300_000, // the whole run, start-up included
};

export const ui = {
  /** Each module here matching testFile exports default async function ({ page, step, server, browser }). */
  testsDir: fromEnv('UDPCHAT_E2E_UI_TESTS', 'test/e2e/ui'),
  testFile: /\.ui\.(mjs|js|ts|mts)$/,
  fileTimeoutMs: 300_000, // one test module; the helpers' own waits are 15-60 s each
  /**
   * User settings of the UI workbench (merged over the harness's quiet ones; a test reads them back from
   * server.userDataDir/User/settings.json): the relay hosted from the status bar listens on loopback and a port
   * that is free for this run.
   */
  async userSettings() {
    return { 'udpChat.hostPort': await freeUdpPort(), 'udpChat.hostAddress': '127.0.0.1' };
  },
};

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Test files under dir whose name matches pattern, sorted; [] when dir does not exist. */
export function findTestFiles(dir, pattern) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .sort();
}

/**
 * Why an e2e suite ('integration' or 'ui') cannot run, or undefined when it can. A missing bundle or an empty test
 * folder is a failure of the suite, never a reason to skip it. The UI suite builds its own bundle (the .vsix), so
 * for it only the tests are checked here.
 */
export function missingForSuite(suite) {
  const { testsDir, testFile } = suite === 'ui' ? ui : integration;
  if (suite !== 'ui') {
    const pkg = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8'));
    const main = path.join(extensionPath, pkg.main ?? 'dist/extension.js');
    if (!fs.existsSync(main)) return `${path.relative(REPO_ROOT, main) || main} does not exist: build the extension first`;
  }
  if (findTestFiles(testsDir, testFile).length === 0) {
    return `no test files matching ${testFile} in ${path.relative(REPO_ROOT, testsDir) || testsDir}`;
  }
  return undefined;
}

/** Makes dir a fresh copy of the workspace fixture (or an empty folder) and returns it. */
export function prepareWorkspace(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  if (fs.existsSync(workspaceFixture)) fs.cpSync(workspaceFixture, dir, { recursive: true });
  else fs.mkdirSync(dir, { recursive: true });
  return dir;
}
