// Code snippets in the real workbench, both ways with a `udp-chat join` peer: lines selected in an editor and
// shared with Share Selection (its keybinding, then the palette with nothing selected) reach the peer as `snippet`
// events with their path, lines, language and code; the peer's `/snippet PATH:A-B` shows as a highlighted card with
// its place, and Open selects those lines of the same file here, opens a diff when the file here says something
// else, and an untitled editor when the workspace has no such file; Copy puts the code on the clipboard. Open does
// not follow a symbolic link out of the workspace folder, and a snippet whose path climbs out (`../../etc/passwd`,
// sent by a peer speaking the protocol by hand) is refused on arrival and never shown. With UDPCHAT_E2E_SCREENSHOT=1
// it also saves the conversation in the dark and the light theme to docs/images/snippet-*.png.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { killProcessGroup, trackProcessGroup } from '../harness/code-server.mjs';
import { REPO_ROOT } from '../harness/toolchain.mjs';
import { check, until } from './checks.mjs';
import { joinPeer, startRelay } from './cli.mjs';
import { screenshotter } from './screenshots.mjs';

const FIXTURE = path.join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'workspace');
const HOSTILE_PEER = path.join(REPO_ROOT, 'test', 'e2e', 'ui', 'hostile-snippet-peer.ts');
const SCREENSHOTS = { dark: path.join(REPO_ROOT, 'docs', 'images', 'snippet-dark.png'), light: path.join(REPO_ROOT, 'docs', 'images', 'snippet-light.png') };
const SENTINEL = 'sentinel after mallory';

/** Lines `first`..`last` (1-based) of a fixture file, joined by \n. */
function fixtureLines(file, first, last) {
  return fs.readFileSync(path.join(FIXTURE, file), 'utf8').split('\n').slice(first - 1, last).join('\n');
}

/** The peer's own copy of the workspace: the same src/, one file that says something else, one only it has. */
function peerFolder() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-ui-peer-'));
  fs.cpSync(path.join(FIXTURE, 'src'), path.join(dir, 'src'), { recursive: true });
  const limits = path.join(dir, 'src', 'limits.ts');
  fs.writeFileSync(limits, fs.readFileSync(limits, 'utf8').replace('TIMEOUT_MS = 1_000', 'TIMEOUT_MS = 5_000'));
  fs.mkdirSync(path.join(dir, 'notes'));
  fs.writeFileSync(path.join(dir, 'notes', 'retry.py'), 'def retry(times):\n    return [attempt for attempt in range(times)]\n');
  return dir;
}

/** Opens a workspace file through Quick Open (the palette without its `>`). */
async function openFile(page, relative) {
  const input = page.locator('.quick-input-widget input');
  await until(`Quick Open to offer ${relative}`, async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 3_000 });
    await input.fill(relative);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relative) }).first();
    return row.waitFor({ timeout: 3_000 }).then(
      () => true,
      () => false,
    );
  });
  await input.press('Enter');
  await activeTab(page, path.basename(relative));
}

/** Waits until the active editor tab's label contains `label`; returns the tab. */
async function activeTab(page, label) {
  const tab = page.locator('.part.editor .tabs-container .tab.active', { hasText: label }).first();
  await tab.waitFor({ timeout: 15_000 });
  return tab;
}

/** The cursor and selection as the status bar says them: "Ln 6, Col 1 (102 selected)". */
async function selectionStatus(page) {
  const item = page.locator('[id="status.editor.selection"]').first();
  return ((await item.textContent({ timeout: 5_000 }).catch(() => '')) ?? '').replace(/\s+/g, ' ').trim();
}

/** Puts the cursor at the start of `line` of the active editor (Go to Line: the palette with `:`). */
async function goToLine(page, line) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}`);
  await page.waitForTimeout(300);
  await input.press('Enter');
  await until(`the cursor on line ${line}`, async () => (await selectionStatus(page)).startsWith(`Ln ${line}, Col 1`));
}

/** A snippet card in the chat whose header names `location`. */
async function card(wb, page, location, { own } = {}) {
  const scope = own === undefined ? '#log' : own ? '#log .entry--own' : '#log .entry:not(.entry--own)';
  const found = await wb.findInWebview(page, `${scope} .snippet__location`, { hasText: location, timeoutMs: 20_000 });
  const entry = found.locator.locator('xpath=ancestor::*[@data-entry-id][1]');
  return { ...found, entry, id: await entry.getAttribute('data-entry-id') };
}

/** Clicks a card's button (`open` or `copy`), shown on hover like the other actions. */
async function cardButton(frame, entry, kind) {
  await entry.scrollIntoViewIfNeeded();
  await entry.hover();
  await entry.locator(`.snippet__${kind}`).click();
}

/** Runs the hand-made peer that sends a snippet with `snippetPath` and then SENTINEL; resolves once both are at the relay. */
async function sendHostileSnippet(relayPort, snippetPath) {
  const child = spawn(process.execPath, ['--import', 'tsx', HOSTILE_PEER, String(relayPort), snippetPath, SENTINEL], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  trackProcessGroup(child.pid, 'hostile snippet peer');
  const lines = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  readline.createInterface({ input: child.stderr }).on('line', (line) => lines.push(line));
  const code = await Promise.race([
    new Promise((resolve) => child.once('exit', (exit) => resolve(exit))),
    new Promise((resolve) => setTimeout(() => resolve('timed out'), 30_000)),
  ]);
  await killProcessGroup(child.pid, { graceMs: 1_000 });
  check(code === 0 && lines.some((line) => line.includes('"event":"sent"')), `the hostile peer ended with ${code}: ${lines.join(' | ').slice(-400)}`);
}

/** How many elements matching `selector` (with `text`) all webview frames hold. */
async function countInWebviews(page, selector, text) {
  let count = 0;
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    try {
      count += await frame.locator(selector, text ? { hasText: text } : {}).count();
    } catch {
      /* detached */
    }
  }
  return count;
}

/** @param {{ page: import('playwright-core').Page, step: Function, server: any, workbench: typeof import('../harness/workbench.mjs') }} t */
export default async function snippets({ page, step, server, workbench: wb }) {
  const settingsFile = path.join(server.userDataDir, 'User', 'settings.json');
  const original = fs.readFileSync(settingsFile, 'utf8');
  const relay = await startRelay();
  const peerDir = peerFolder();
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-ui-outside-'));
  let bob;
  try {
    bob = await joinPeer({ relay: relay.address, name: 'bob', cwd: peerDir });
    const snippetEvent = (accept, what) => bob.waitFor((event) => event.event === 'snippet' && accept(event), what, 20_000);

    await step('join a room with a terminal peer', async () => {
      // The first command of the page: the extension's commands register a moment after the workbench loads.
      await wb.runCommand(page, 'UDP Chat: Join', { timeoutMs: 60_000 });
      await wb.answerQuickInput(page, 'alice', { prompt: 'Your name in the room', timeoutMs: 60_000 });
      await wb.answerQuickInput(page, relay.address, { prompt: 'Relay address' });
      await wb.answerQuickInput(page, '', { prompt: 'Passphrase of room' });
      await wb.webviewText(page, '#connection', 'Connected', { timeoutMs: 20_000 });
      await bob.waitFor((event) => event.event === 'join' && event.name === 'alice', 'bob to see alice join');
    });

    await step('lines 3-5 selected with Shift+Down and shared with Ctrl+Alt+H reach the peer as a snippet', async () => {
      await openFile(page, 'src/greet.ts');
      await goToLine(page, 3);
      for (let i = 0; i < 3; i += 1) await page.keyboard.press('Shift+ArrowDown');
      // Down to column 1 of line 6: line 6 has nothing selected and is not shared.
      await until('three lines selected', async () => /^Ln 6, Col 1 \(\d+ selected\)$/.test(await selectionStatus(page)));
      await page.keyboard.press('Control+Alt+H');
      const snippet = await snippetEvent((event) => event.path === 'src/greet.ts', 'bob to get the snippet of src/greet.ts');
      check(snippet.from === 'alice' && snippet.startLine === 3 && snippet.endLine === 5 && snippet.language === 'typescript', JSON.stringify(snippet));
      check(snippet.text === fixtureLines('src/greet.ts', 3, 5), `the code differs: ${JSON.stringify(snippet.text)}`);
      await card(wb, page, 'src/greet.ts:L3–L5', { own: true });
    });

    await step('with nothing selected, Share Selection from the palette shares the line of the cursor', async () => {
      await goToLine(page, 8);
      await wb.runCommand(page, 'UDP Chat: Share Selection');
      const snippet = await snippetEvent((event) => event.path === 'src/greet.ts' && event.startLine === 8, 'bob to get line 8');
      check(snippet.endLine === 8 && snippet.text === "export const VERSION = '1.0.0';", JSON.stringify(snippet));
    });

    await step("the peer's /snippet shows as a highlighted card; Open selects those lines of the file here", async () => {
      bob.type('/snippet src/util.ts:2-4');
      const { entry } = await card(wb, page, 'src/util.ts:L2–L4', { own: false });
      check((await entry.locator('.snippet__lines.hljs').count()) === 1, 'the code is not highlighted');
      check((await entry.locator('.snippet__lines [class^="hljs-"]').count()) > 0, 'no token of the code is coloured');
      const { frame } = await wb.findInWebview(page, '#log');
      await cardButton(frame, entry, 'open');
      await activeTab(page, 'util.ts');
      const code = fixtureLines('src/util.ts', 2, 4);
      const lastLine = code.split('\n').at(-1) ?? '';
      const expected = `Ln 4, Col ${lastLine.length + 1} (${code.length} selected)`;
      await until(`the status bar to say ${expected}`, async () => (await selectionStatus(page)) === expected);
      check((await page.locator('.part.editor .monaco-diff-editor').count()) === 0, 'a diff opened for an unchanged file');
    });

    if (process.env.UDPCHAT_E2E_SCREENSHOT) {
      const shoot = screenshotter(page, wb, 'snippets');
      for (const theme of ['dark', 'light']) {
        await step(`screenshot of a snippet conversation (${theme}) saved to ${path.relative(REPO_ROOT, SCREENSHOTS[theme])}`, () =>
          shoot(theme, SCREENSHOTS[theme], async () => {
            // The peer's lines opened beside the chat, selected (the palette's Escape above dropped the selection).
            const { frame, entry } = await card(wb, page, 'src/util.ts:L2–L4', { own: false });
            await cardButton(frame, entry, 'open');
            await until('the lines selected again', async () => (await selectionStatus(page)).includes('selected'));
            await page.mouse.move(1000, 650); // no hover on a message
          }),
        );
      }
    }

    await step('Copy puts the code on the clipboard and says so in the status bar', async () => {
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
      const { frame, entry } = await card(wb, page, 'src/util.ts:L2–L4', { own: false });
      await cardButton(frame, entry, 'copy');
      await page.locator('.part.statusbar', { hasText: 'Snippet copied' }).first().waitFor({ timeout: 10_000 });
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      check(copied === fixtureLines('src/util.ts', 2, 4), `the clipboard holds ${JSON.stringify(copied)}`);
    });

    await step('Open of lines that say something else here opens a diff against the snippet', async () => {
      bob.type('/snippet src/limits.ts:1-3');
      const { frame, entry } = await card(wb, page, 'src/limits.ts:L1–L3', { own: false });
      await cardButton(frame, entry, 'open');
      await activeTab(page, 'snippet from');
      await page.locator('.part.editor .monaco-diff-editor').first().waitFor({ timeout: 15_000 });
      const tabs = await page.locator('.part.editor .tabs-container .tab.active').allTextContents();
      check(tabs.some((label) => label.includes('limits.ts') && label.includes('bob')), `the diff tab says ${JSON.stringify(tabs)}`);
    });

    await step('Open of a file the workspace does not have opens the code in an untitled editor of its language', async () => {
      bob.type('/snippet notes/retry.py:1-2');
      const { frame, entry } = await card(wb, page, 'notes/retry.py:L1–L2', { own: false });
      await cardButton(frame, entry, 'open');
      await activeTab(page, 'Untitled');
      await page.locator('.part.editor .monaco-editor .view-lines', { hasText: 'def retry(times):' }).first().waitFor({ timeout: 10_000 });
      const language = (await page.locator('[id="status.editor.mode"]').first().textContent()) ?? '';
      check(language.trim() === 'Python', `the untitled editor's language is ${JSON.stringify(language)}`);
    });

    await step('Open does not follow a symbolic link that leads out of the workspace: the code opens untitled', async () => {
      // src/leak.ts here is a link to a file outside the workspace folder, with the very lines the peer shares.
      const code = "export const LEAK = 'outside the workspace';";
      fs.writeFileSync(path.join(outside, 'secret.ts'), `${code}\n`);
      fs.symlinkSync(path.join(outside, 'secret.ts'), path.join(server.workspace, 'src', 'leak.ts'));
      fs.writeFileSync(path.join(peerDir, 'src', 'leak.ts'), `${code}\n`);
      await openFile(page, 'src/util.ts');
      bob.type('/snippet src/leak.ts:1');
      const { frame, entry } = await card(wb, page, 'src/leak.ts:L1', { own: false });
      await cardButton(frame, entry, 'open');
      await activeTab(page, 'Untitled');
      await page.locator('.part.editor .monaco-editor .view-lines', { hasText: 'LEAK' }).first().waitFor({ timeout: 10_000 });
      const tabs = await page.locator('.part.editor .tabs-container .tab').allTextContents();
      check(!tabs.some((label) => label.includes('leak.ts') || label.includes('secret.ts')), `the linked file opened: ${JSON.stringify(tabs)}`);
    });

    await step('a snippet whose path climbs out (../../etc/passwd) is refused on arrival: the sentinel after it shows, it does not', async () => {
      await sendHostileSnippet(relay.port, '../../etc/passwd');
      await wb.findInWebview(page, '#log .entry__text', { hasText: SENTINEL, timeoutMs: 20_000 });
      check((await countInWebviews(page, '#log .entry', 'passwd')) === 0, 'an entry names passwd');
      check((await countInWebviews(page, '#log .entry', 'root:x:0:0')) === 0, "the hostile snippet's code is shown");
      await bob.waitFor((event) => event.event === 'message' && event.text === SENTINEL, 'bob to get the sentinel');
      check(!bob.events.some((event) => event.event === 'snippet' && String(event.path).includes('passwd')), 'bob printed the hostile snippet');
    });
  } finally {
    fs.writeFileSync(settingsFile, original);
    await bob?.stop();
    await relay.stop();
    fs.rmSync(peerDir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
}
