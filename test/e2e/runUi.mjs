#!/usr/bin/env node
// The UI suite: the extension packaged as a .vsix (npm run package, as users get it) and installed with
// code-server's --install-extension into a normal code-server (no smoke-test driver, so notification toasts
// show), the workbench driven by playwright-core in headless Debian chromium.
// Each test module (test/e2e/config.mjs says where) exports
//   default async function ({ page, step, server, browser, workbench })
// where page is a fresh workbench page on the run's workspace, step(name, fn) records one check (a failure takes a
// screenshot into .test-artifacts/ui/ and does not stop the next step), server is what startCodeServer returned and
// workbench is harness/workbench.mjs. Prints "ui: N passed, M failed" and, when UDPCHAT_TEST_RESULT names a file,
// writes { suite, passes, failures, pending } there.
// Usage: node test/e2e/runUi.mjs        (needs node scripts/e2e-setup.mjs once)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeRunDir, startCodeServer } from './harness/code-server.mjs';
import { ARTIFACTS, REPO_ROOT } from './harness/toolchain.mjs';
import * as workbench from './harness/workbench.mjs';
import { extensionPath, findTestFiles, missingForSuite, prepareWorkspace, ui } from './config.mjs';

const SUITE = 'ui';

function writeResult(result) {
  if (process.env.UDPCHAT_TEST_RESULT) {
    fs.writeFileSync(process.env.UDPCHAT_TEST_RESULT, JSON.stringify({ suite: SUITE, ...result }) + '\n');
  }
}

// nothing to test is a failure, not a skip
const missing = missingForSuite(SUITE);
if (missing) {
  console.log(`${SUITE}: cannot run: ${missing}`);
  console.log(`${SUITE}: 0 passed, 1 failed`);
  writeResult({ passes: 0, failures: 1, pending: 0 });
  process.exit(1);
}

/**
 * Packages the extension folder with its own `npm run package` (vsce, which runs vscode:prepublish: a production
 * build into dist/) into outFile. The UI tests run against what users install, .vscodeignore included.
 */
function packageVsix(outFile) {
  const t0 = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', 'package', '--', '--out', outFile], {
    cwd: extensionPath,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (result.status !== 0 || !fs.existsSync(outFile)) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`npm run package failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}):\n${output}`);
  }
  const kb = (fs.statSync(outFile).size / 1024).toFixed(0);
  console.log(`${SUITE}: packaged ${path.relative(REPO_ROOT, outFile)} (${kb} KB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return outFile;
}

const testFiles = findTestFiles(ui.testsDir, ui.testFile);
const artifactsDir = path.join(ARTIFACTS, 'ui');
fs.rmSync(artifactsDir, { recursive: true, force: true });
let page;
const collector = workbench.createCollector({ suite: SUITE, artifactsDir, page: () => page });

if (testFiles.some((file) => /\.m?ts$/.test(file))) await import('tsx/esm/api').then((tsx) => tsx.register());
const runDir = makeRunDir('ui');
let server;
let browser;
try {
  const vsix = packageVsix(path.join(runDir, 'udp-chat.vsix'));
  const t0 = Date.now();
  server = await startCodeServer({
    runDir,
    extensions: [vsix],
    workspace: prepareWorkspace(path.join(runDir, 'ws')),
    settings: await ui.userSettings(),
  });
  browser = await workbench.launchBrowser();
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`${SUITE}: code-server on ${server.baseUrl} and chromium up in ${seconds} s`);
  for (const file of testFiles) {
    const name = path.relative(ui.testsDir, file);
    console.log(`${SUITE}: ${name}`);
    const loaded = await collector.step(`${name}: workbench loads`, async () => {
      page = await workbench.openWorkbench(browser, server.url);
    });
    if (!loaded) continue;
    try {
      const { default: test } = await import(pathToFileURL(file).href);
      if (typeof test !== 'function') throw new Error('the module has no default export function');
      let timer;
      const timedOut = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running after ${ui.fileTimeoutMs} ms`)), ui.fileTimeoutMs);
      });
      await Promise.race([test({ page, step: collector.step, server, browser, workbench }), timedOut]).finally(() =>
        clearTimeout(timer),
      );
    } catch (error) {
      collector.fail(`${name}`, error);
    }
    await page.close().catch(() => {});
    page = undefined;
  }
} catch (error) {
  collector.fail('package the extension, start code-server and chromium', error);
} finally {
  await workbench.closeBrowser(browser);
  await server?.stop();
}
if (collector.failed === 0) fs.rmSync(runDir, { recursive: true, force: true });
else console.log(`${SUITE}: code-server log and user data kept in ${runDir}; screenshots in ${artifactsDir}`);

writeResult(collector.summary());
process.exit(collector.failed > 0 ? 1 : 0);
