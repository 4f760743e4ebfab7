import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installPlan, machineProbe, missingPackages, type Probe } from '../../../scripts/system-packages.mjs';

const CHROMIUM = '/usr/bin/chromium';
const GSSAPI_HEADER = '/usr/include/gssapi/gssapi.h';

/** A machine that has exactly these executables, files and commands on its PATH. */
function machineWith(present: { executables?: string[]; files?: string[]; commands?: string[] }): Probe {
  return {
    isExecutable: (file) => present.executables?.includes(file) ?? false,
    exists: (file) => (present.files?.includes(file) ?? false) || (present.executables?.includes(file) ?? false),
    onPath: (command) => present.commands?.includes(command) ?? false,
  };
}

const EVERYTHING = machineWith({ executables: [CHROMIUM], files: [GSSAPI_HEADER], commands: ['pkg-config'] });
const NOTHING = machineWith({});

describe('e2e set-up: which system packages are missing', () => {
  it('finds nothing missing on a machine that has chromium and the build headers', () => {
    assert.deepEqual(missingPackages(EVERYTHING, { chromium: CHROMIUM, building: true }), []);
  });

  it('finds chromium, libkrb5-dev and pkg-config missing on a fresh machine that must build code-server', () => {
    assert.deepEqual(missingPackages(NOTHING, { chromium: CHROMIUM, building: true }), ['chromium', 'libkrb5-dev', 'pkg-config']);
  });

  it('finds only chromium missing when the build headers are there', () => {
    const machine = machineWith({ files: [GSSAPI_HEADER], commands: ['pkg-config'] });
    assert.deepEqual(missingPackages(machine, { chromium: CHROMIUM, building: true }), ['chromium']);
  });

  it('finds libkrb5-dev missing from its header alone, and pkg-config from the PATH alone', () => {
    assert.deepEqual(missingPackages(machineWith({ executables: [CHROMIUM], commands: ['pkg-config'] }), { chromium: CHROMIUM, building: true }), ['libkrb5-dev']);
    assert.deepEqual(missingPackages(machineWith({ executables: [CHROMIUM], files: [GSSAPI_HEADER] }), { chromium: CHROMIUM, building: true }), ['pkg-config']);
  });

  it('does not ask for the build headers once code-server is installed', () => {
    assert.deepEqual(missingPackages(NOTHING, { chromium: CHROMIUM, building: false }), ['chromium']);
    assert.deepEqual(missingPackages(machineWith({ executables: [CHROMIUM] }), { chromium: CHROMIUM, building: false }), []);
  });

  it('looks for chromium where it was told to, and wants it executable', () => {
    const elsewhere = machineWith({ executables: ['/opt/chromium/chrome'], files: [GSSAPI_HEADER], commands: ['pkg-config'] });
    assert.deepEqual(missingPackages(elsewhere, { chromium: '/opt/chromium/chrome', building: true }), []);
    assert.deepEqual(missingPackages(elsewhere, { chromium: CHROMIUM, building: true }), ['chromium']);
    const notExecutable = machineWith({ files: [CHROMIUM, GSSAPI_HEADER], commands: ['pkg-config'] });
    assert.deepEqual(missingPackages(notExecutable, { chromium: CHROMIUM, building: true }), ['chromium']);
  });
});

describe('e2e set-up: what to do about missing system packages', () => {
  it('does nothing when nothing is missing, even without root or apt-get', () => {
    assert.deepEqual(installPlan([], { isRoot: false, hasAptGet: false }), { action: 'none' });
  });

  it('as root with apt-get, updates the lists and installs just the missing packages without prompting', () => {
    assert.deepEqual(installPlan(['chromium', 'pkg-config'], { isRoot: true, hasAptGet: true }), {
      action: 'install',
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', 'chromium', 'pkg-config'],
      ],
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
  });

  it('without root, stops with the exact sudo command for the missing packages', () => {
    const plan = installPlan(['chromium', 'libkrb5-dev'], { isRoot: false, hasAptGet: true });
    assert.equal(plan.action, 'stop');
    assert.ok(plan.action === 'stop' && plan.message.endsWith('sudo apt-get update && sudo apt-get install -y chromium libkrb5-dev'), JSON.stringify(plan));
  });

  it('without apt-get, stops and names the packages even as root', () => {
    const plan = installPlan(['libkrb5-dev'], { isRoot: true, hasAptGet: false });
    assert.equal(plan.action, 'stop');
    assert.match(plan.action === 'stop' ? plan.message : '', /missing system packages: libkrb5-dev\b/);
  });
});

describe('e2e set-up: looking at the real machine', () => {
  it('finds node on the PATH and not a command that does not exist', () => {
    assert.equal(machineProbe.onPath(path.basename(process.execPath)), true);
    assert.equal(machineProbe.onPath('udpchat-no-such-command'), false);
  });

  it('tells an executable file from a plain file and from a folder', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-probe-'));
    try {
      const plain = path.join(folder, 'plain');
      const script = path.join(folder, 'script');
      fs.writeFileSync(plain, '');
      fs.writeFileSync(script, '#!/bin/sh\n', { mode: 0o755 });
      assert.equal(machineProbe.isExecutable(plain), false);
      assert.equal(machineProbe.isExecutable(script), true);
      assert.equal(machineProbe.isExecutable(folder), false);
      assert.equal(machineProbe.exists(plain), true);
      assert.equal(machineProbe.exists(path.join(folder, 'absent')), false);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
