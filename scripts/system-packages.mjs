// The Debian packages the real-VS-Code suites need, and what to do when some are missing: install them (as root,
// with apt-get) or stop with the exact command to run. Pure: every look at the machine goes through `probe`, so
// the decision is unit-tested without uninstalling anything (test/unit/scripts/system-packages.test.ts).
import fs from 'node:fs';
import path from 'node:path';

/**
 * Each package, why it is needed, and the file whose presence says it is installed.
 * `buildOnly`: needed only while code-server's native modules are built (its 'kerberos' module includes
 * gssapi.h and asks pkg-config for its flags), not to run the suites afterwards.
 */
export const SYSTEM_PACKAGES = Object.freeze([
  {
    name: 'chromium',
    why: 'the browser that drives the VS Code workbench',
    buildOnly: false,
    present: (probe, chromium) => probe.isExecutable(chromium),
  },
  {
    name: 'libkrb5-dev',
    why: "gssapi.h for code-server's native kerberos module",
    buildOnly: true,
    present: (probe) => probe.exists('/usr/include/gssapi/gssapi.h'),
  },
  {
    name: 'pkg-config',
    why: "code-server's native modules find their libraries with it",
    buildOnly: true,
    present: (probe) => probe.onPath('pkg-config'),
  },
]);

/**
 * The names of the packages that are needed and missing, in SYSTEM_PACKAGES order.
 * @param {{ isExecutable(file: string): boolean, exists(file: string): boolean, onPath(command: string): boolean }} probe
 * @param {{ chromium: string, building: boolean }} options  `building`: code-server still has to be installed
 */
export function missingPackages(probe, { chromium, building }) {
  return SYSTEM_PACKAGES.filter((pkg) => (building || !pkg.buildOnly) && !pkg.present(probe, chromium)).map((pkg) => pkg.name);
}

/**
 * What to do about `missing`: nothing; run apt-get ourselves (root on a machine with apt-get); or stop and tell the
 * user the exact command.
 * @param {string[]} missing
 * @param {{ isRoot: boolean, hasAptGet: boolean }} machine
 * @returns {{ action: 'none' } | { action: 'install', commands: string[][], env: Record<string, string> } | { action: 'stop', message: string }}
 */
export function installPlan(missing, { isRoot, hasAptGet }) {
  if (missing.length === 0) return { action: 'none' };
  const list = missing.join(' ');
  if (!hasAptGet) {
    return { action: 'stop', message: `missing system packages: ${list}. Install them with your package manager (on Debian or Ubuntu: sudo apt-get install -y ${list})` };
  }
  if (!isRoot) {
    return { action: 'stop', message: `missing system packages: ${list}. Install them with: sudo apt-get update && sudo apt-get install -y ${list}` };
  }
  return {
    action: 'install',
    commands: [
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', ...missing],
    ],
    // No prompt can be answered: npm test and CI have no terminal.
    env: { DEBIAN_FRONTEND: 'noninteractive' },
  };
}

/** The real machine, for `missingPackages`. */
export const machineProbe = Object.freeze({
  isExecutable(file) {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  },
  exists(file) {
    return fs.existsSync(file);
  },
  onPath(command) {
    return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && machineProbe.isExecutable(path.join(dir, command)));
  },
});

/** The real machine, for `installPlan`. */
export function thisMachine() {
  return { isRoot: typeof process.getuid === 'function' && process.getuid() === 0, hasAptGet: machineProbe.onPath('apt-get') };
}
