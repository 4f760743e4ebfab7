// Playwright helpers for UI tests against the code-server workbench in Debian's headless chromium:
// the command palette, quick inputs, webviews (nested iframes), the Explorer context menu, the status bar,
// notifications, and a step collector that screenshots failures into .test-artifacts/ui/ and prints
// "ui: N passed, M failed".
import fs from 'node:fs';
import path from 'node:path';
import { childPids, killProcessGroup, onSignalCleanup, trackProcessGroup } from './code-server.mjs';
import { ARTIFACTS, CHROMIUM, CHROMIUM_INSTALL_HINT, E2E_HOME, requireTool } from './toolchain.mjs';

const WORKBENCH_TIMEOUT_MS = 60_000; // loads in 2.5-3.5 s; generous for a loaded 2-core CI machine
const UI_TIMEOUT_MS = 15_000; // one palette row, menu entry or webview element to appear
const MENU_SETTLE_MS = 300; // VS Code menus ignore a click that comes right after they open
const PALETTE_RETRY_MS = 1_500; // the palette opens and filters at once; anything slower is worth a retry
const BROWSER_CLOSE_MS = 10_000;

export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]);

const CHROMIUM_CMDLINE = /chrom/i;
const CHROMIUM_HOME = path.join(E2E_HOME, 'chromium');

/**
 * Launches headless Debian chromium. Its process group is tracked: closeBrowser(), a signal or the end of this
 * process stops it, whatever happened.
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchBrowser({ headless = true, args = [] } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium not found: install it with: ${CHROMIUM_INSTALL_HINT}`);
  const { chromium } = await requireTool('playwright-core');
  const before = new Set(childPids(CHROMIUM_CMDLINE));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless,
    args: [...CHROMIUM_ARGS, ...args],
    // crash reports and caches go under .e2e/, not $HOME
    env: { ...process.env, XDG_CONFIG_HOME: CHROMIUM_HOME, XDG_CACHE_HOME: CHROMIUM_HOME },
    // our own handlers close the browser and code-server together (code-server.mjs)
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const pids = childPids(CHROMIUM_CMDLINE).filter((pid) => !before.has(pid));
  for (const pid of pids) trackProcessGroup(pid, `chromium:${pid}`);
  const unregister = onSignalCleanup(() => closeBrowser(browser));
  browser.e2ePids = pids;
  browser.e2eUnregister = unregister;
  return browser;
}

/** Closes the browser, then makes sure its process group is gone. */
export async function closeBrowser(browser) {
  if (!browser) return;
  browser.e2eUnregister?.();
  await Promise.race([browser.close().catch(() => {}), sleep(BROWSER_CLOSE_MS)]);
  await Promise.all((browser.e2ePids ?? []).map((pid) => killProcessGroup(pid, { graceMs: 2_000 })));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a page on the workbench URL and waits until the workbench has rendered its status bar. */
export async function openWorkbench(browser, url, { viewport = { width: 1280, height: 800 } } = {}) {
  const page = await browser.newPage({ viewport });
  await page.goto(url);
  await waitForWorkbench(page);
  return page;
}

export async function waitForWorkbench(page, timeoutMs = WORKBENCH_TIMEOUT_MS) {
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: timeoutMs });
}

/**
 * Runs a command by its palette title ("UDP Chat: Join") through F1. Retries until timeoutMs: right after the
 * workbench loads an extension's commands are not registered yet (and an open palette does not refresh), and a view
 * that takes focus a moment later (an output channel, a webview) closes the palette under our hands.
 */
export async function runCommand(page, title, { timeoutMs = UI_TIMEOUT_MS } = {}) {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input');
  const rows = page.locator('.quick-input-list .monaco-list-row', { hasText: title });
  for (;;) {
    try {
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: PALETTE_RETRY_MS });
      await input.fill(`>${title}`, { timeout: PALETTE_RETRY_MS });
      await rows.first().waitFor({ timeout: PALETTE_RETRY_MS });
      // "UDP Chat: Join" must not run "UDP Chat: Join Room": pick the row whose label is the title itself
      const labels = await rows.locator('.label-name').allTextContents();
      const exact = labels.findIndex((label) => label.replace(/\s+/g, ' ').trim() === title);
      if (exact >= 0) await rows.nth(exact).click({ timeout: PALETTE_RETRY_MS });
      else await input.press('Enter', { timeout: PALETTE_RETRY_MS });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`the command palette did not run "${title}": ${String(error.message).split('\n')[0]}`);
      }
    }
  }
}

/**
 * Answers a showInputBox prompt: waits for the quick input (optionally for its prompt text), types, presses Enter.
 */
export async function answerQuickInput(page, text, { prompt, timeoutMs = UI_TIMEOUT_MS } = {}) {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout: timeoutMs });
  if (prompt) await widget.getByText(prompt).first().waitFor({ timeout: timeoutMs });
  // right after runCommand the palette itself may still be up: wait for the prompt's own input
  await page.waitForFunction(
    () => {
      const input = document.querySelector('.quick-input-widget input');
      return input && input.offsetParent !== null && !input.value.startsWith('>');
    },
    undefined,
    { timeout: timeoutMs },
  );
  const input = widget.locator('input').first();
  await input.fill(text, { timeout: timeoutMs });
  await input.press('Enter', { timeout: timeoutMs });
}

/** Picks an item of an open showQuickPick by its label. */
export async function pickQuickItem(page, label, { timeoutMs = UI_TIMEOUT_MS } = {}) {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: timeoutMs });
  await row.click();
}

/**
 * Finds `selector` inside a webview. Webview content sits in nested same-origin iframes, so every frame of the
 * page is searched until one has a match.
 * @returns {Promise<{frame: import('playwright-core').Frame, locator: import('playwright-core').Locator}>}
 */
export async function findInWebview(page, selector, { timeoutMs = UI_TIMEOUT_MS, hasText } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      try {
        const locator = frame.locator(selector, hasText ? { hasText } : {}).first();
        if ((await locator.count()) > 0) return { frame, locator };
      } catch {
        /* the frame was detached while we looked */
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`no webview frame has ${selector}${hasText ? ` with "${hasText}"` : ''}`);
    }
    await sleep(200);
  }
}

/** Waits until a webview element's text satisfies `accept` (a string prefix, RegExp or predicate); returns it. */
export async function webviewText(page, selector, accept = () => true, { timeoutMs = UI_TIMEOUT_MS } = {}) {
  let test = accept;
  if (typeof accept === 'string') test = (text) => text.startsWith(accept);
  else if (accept instanceof RegExp) test = (text) => accept.test(text);
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const remaining = Math.max(deadline - Date.now(), 1);
    try {
      const { locator } = await findInWebview(page, selector, { timeoutMs: remaining });
      last = (await locator.textContent({ timeout: 1_000 })) ?? '';
      if (test(last)) return last;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`webview ${selector} says ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

/**
 * Right-clicks a file in the Explorer and clicks a context-menu entry. Wait until the extension has activated
 * (e.g. its status bar item shows) first, or its contributed entry is not in the menu yet.
 */
export async function clickExplorerContextMenu(page, fileName, entryText, { timeoutMs = UI_TIMEOUT_MS } = {}) {
  await page.keyboard.press('Escape');
  const row = page.locator('.explorer-folders-view .monaco-list-row', {
    has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(fileName)}$`) }),
  });
  if (!(await row.first().isVisible())) await page.keyboard.press('Control+Shift+E'); // show the Explorer
  await row.first().waitFor({ timeout: timeoutMs });
  await row.first().click({ button: 'right' });
  const entry = page.locator('.monaco-menu .action-item', { hasText: entryText }).first();
  await entry.waitFor({ timeout: timeoutMs });
  // a click right after the menu opens is ignored: hover, let it settle, then click
  await entry.hover();
  await page.waitForTimeout(MENU_SETTLE_MS);
  await entry.click();
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Waits for the status bar item whose text contains `text` and returns its locator (click it to run its command). */
export async function statusBarItem(page, text, { timeoutMs = UI_TIMEOUT_MS } = {}) {
  const item = page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  return item;
}

/**
 * Waits for a notification toast containing `text` (needs a server started without the smoke-test driver, which
 * hides toasts) and returns its locator.
 */
export async function waitForNotification(page, text, { timeoutMs = UI_TIMEOUT_MS } = {}) {
  const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return toast;
}

/**
 * Collects UI test steps: each step passes or fails on its own; a failure is logged with its first message line and
 * a screenshot of the current page in artifactsDir.
 *   const t = createCollector({ page: () => page });
 *   await t.step('palette opens the panel', async () => { ... });
 *   t.summary();   // prints "ui: N passed, M failed"
 */
export function createCollector({ suite = 'ui', artifactsDir = path.join(ARTIFACTS, 'ui'), page } = {}) {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const results = [];
  fs.mkdirSync(artifactsDir, { recursive: true });
  const collector = {
    artifactsDir,
    /** Runs one step; never throws. Returns true when it passed. */
    async step(name, fn) {
      try {
        await fn();
        results.push({ name, ok: true });
        console.log(`  ok   ${elapsed().padStart(6)} ${name}`);
        return true;
      } catch (error) {
        results.push({ name, ok: false, error: String(error?.message ?? error).split('\n')[0] });
        console.log(`  FAIL ${elapsed().padStart(6)} ${name}: ${results.at(-1).error}`);
        const current = typeof page === 'function' ? page() : page;
        if (current && !current.isClosed()) {
          const file = path.join(artifactsDir, `fail-${results.length}-${slug(name)}.png`);
          await current.screenshot({ path: file, timeout: 10_000 }).then(
            () => console.log(`       screenshot: ${path.relative(process.cwd(), file)}`),
            () => {},
          );
        }
        return false;
      }
    },
    /** Records a failure that did not happen inside a step (a test file that failed to load, a crash). */
    fail(name, error) {
      results.push({ name, ok: false, error: String(error?.message ?? error).split('\n')[0] });
      console.log(`  FAIL ${elapsed().padStart(6)} ${name}: ${results.at(-1).error}`);
    },
    get passed() {
      return results.filter((r) => r.ok).length;
    },
    get failed() {
      return results.filter((r) => !r.ok).length;
    },
    results,
    /** Prints the suite's closing line and returns { suite, passes, failures, pending }. */
    summary() {
      console.log(`${suite}: ${collector.passed} passed, ${collector.failed} failed`);
      return { suite, passes: collector.passed, failures: collector.failed, pending: 0 };
    },
  };
  return collector;
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}
