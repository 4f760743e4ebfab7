#!/usr/bin/env node
// The UI suite: the built extension installed in a normal code-server (no smoke-test driver, so notification toasts
// show), the workbench driven by playwright-core in headless Debian chromium.
// Each test module (test/e2e/config.mjs says where) exports
//   default async function ({ page, step, server, browser, workbench })
// where page is a fresh workbench page on the run's workspace, step(name, fn) records one check (a failure takes a
// screenshot into .test-artifacts/ui/ and does not stop the next step), server is what startCodeServer returned and
// workbench is harness/workbench.mjs. Prints "ui: N passed, M failed" and, when UDPCHAT_TEST_RESULT names a file,
// writes { suite, passes, failures, pending } there.
// Usage: node test/e2e/runUi.mjs        (needs node scripts/e2e-setup.mjs once)
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeRunDir, startCodeServer } from './harness/code-server.mjs';
import { ARTIFACTS } from './harness/toolchain.mjs';
import * as workbench from './harness/workbench.mjs';
import { extensionPath, findTestFiles, prepareWorkspace, skipReason, ui } from './config.mjs';

const SUITE = 'ui';

function writeResult(result) {
  if (process.env.UDPCHAT_TEST_RESULT) {
    fs.writeFileSync(process.env.UDPCHAT_TEST_RESULT, JSON.stringify({ suite: SUITE, ...result }) + '\n');
  }
}

const skip = skipReason(SUITE);
if (skip) {
  console.log(`${SUITE}: skipped: ${skip}`);
  writeResult({ passes: 0, failures: 0, pending: 0, skipped: skip });
  process.exit(0);
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
  const t0 = Date.now();
  server = await startCodeServer({
    runDir,
    extensions: [{ folder: extensionPath }],
    workspace: prepareWorkspace(path.join(runDir, 'ws')),
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
  collector.fail('start code-server and chromium', error);
} finally {
  await workbench.closeBrowser(browser);
  await server?.stop();
}
if (collector.failed === 0) fs.rmSync(runDir, { recursive: true, force: true });
else console.log(`${SUITE}: code-server log and user data kept in ${runDir}; screenshots in ${artifactsDir}`);

writeResult(collector.summary());
process.exit(collector.failed > 0 ? 1 : 0);
