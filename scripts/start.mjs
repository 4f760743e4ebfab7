#!/usr/bin/env node
// `npm start`: build, then open the extension in VS Code.
//   - with a `code` executable on PATH: code --extensionDevelopmentPath=EXT FOLDER (a development window)
//   - otherwise: the real VS Code workbench from code-server on http://127.0.0.1:PORT, with the built extension
//     installed as PUBLISHER.NAME-VERSION (read from its package.json); Ctrl+C stops it.
// Usage: node scripts/start.mjs [--port N] [--extension DIR] [--folder DIR] [--code-server]
//   --port N         code-server port (default 8080)
//   --extension DIR  the extension folder (default: this repo)
//   --folder DIR     the folder the window opens (default: this repo)
//   --code-server    use code-server even when `code` is on PATH
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_PORT = 8080;
const USAGE = 'node scripts/start.mjs [--port N] [--extension DIR] [--folder DIR] [--code-server]';

function parseArgs(argv) {
  const options = { port: DEFAULT_PORT, extension: root, folder: root, codeServer: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === '--port') options.port = Number(value());
    else if (flag === '--extension') options.extension = path.resolve(value());
    else if (flag === '--folder') options.folder = path.resolve(value());
    else if (flag === '--code-server') options.codeServer = true;
    else {
      console.error(`unknown argument ${argv[i]}; usage: ${USAGE}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
    console.error(`--port needs a port number, got ${options.port}`);
    process.exit(2);
  }
  return options;
}

/** The `code` executable on PATH, if any. */
function findCode() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'code');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function runOrExit(args, what) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`start: ${what} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

const options = parseArgs(process.argv.slice(2));
runOrExit([path.join(root, 'esbuild.mjs')], 'the build');

const code = options.codeServer ? undefined : findCode();
if (code) {
  console.log(`start: ${code} --extensionDevelopmentPath=${options.extension} ${options.folder}`);
  const child = spawn(code, [`--extensionDevelopmentPath=${options.extension}`, options.folder], { stdio: 'inherit' });
  child.on('close', (exitCode) => process.exit(exitCode ?? 1));
} else {
  runOrExit([path.join(root, 'scripts', 'e2e-setup.mjs')], 'scripts/e2e-setup.mjs');
  const { onSignalCleanup, startCodeServer } = await import('../test/e2e/harness/code-server.mjs');
  const { E2E_HOME } = await import('../test/e2e/harness/toolchain.mjs');
  const pkg = JSON.parse(fs.readFileSync(path.join(options.extension, 'package.json'), 'utf8'));
  const main = pkg.main && path.join(options.extension, pkg.main);
  const installable = main && (fs.existsSync(main) || fs.existsSync(`${main}.js`));
  if (!installable) {
    console.warn(`start: ${main ?? 'package.json "main"'} does not exist: starting without the extension`);
  }

  // one persistent folder, so that settings and window layout survive a restart; the extension is copied afresh
  const runDir = path.join(E2E_HOME, 'start');
  const extensionsDir = path.join(runDir, 'exts');
  fs.rmSync(extensionsDir, { recursive: true, force: true });
  let server;
  try {
    server = await startCodeServer({
      runDir,
      port: options.port,
      workspace: options.folder,
      extensions: installable ? [{ folder: options.extension }] : [],
    });
  } catch (error) {
    console.error(`start: ${error.message}`);
    process.exit(1);
  }
  let stopping = false;
  onSignalCleanup(async () => {
    stopping = true;
  });
  const installed = installable ? `${pkg.publisher}.${pkg.name}-${pkg.version} installed, ` : '';
  console.log(`start: VS Code (code-server) with ${installed}on ${server.url}`);
  console.log(`start: open it in a browser; Ctrl+C stops it (log: ${path.relative(root, server.logFile)})`);
  const exitCode = await server.exited;
  if (stopping) await new Promise(() => {}); // the signal handler stops code-server and exits
  console.error(`start: code-server ended by itself (${exitCode}); see ${server.logFile}`);
  process.exit(1);
}
