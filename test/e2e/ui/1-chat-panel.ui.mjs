// The chat as a user drives it: UDP Chat: Join from the command palette (three prompts), text both ways
// with a `udp-chat join` peer, Send Image from the Explorer's context menu, an image from the peer, and markup
// from the peer shown as text. With UDPCHAT_E2E_SCREENSHOT=1 it also saves docs/images/chat-panel.png.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../harness/toolchain.mjs';
import { check } from './checks.mjs';
import { joinPeer, startRelay } from './cli.mjs';

const SCREENSHOT = path.join(REPO_ROOT, 'docs', 'images', 'chat-panel.png');

/** @param {{ page: import('playwright-core').Page, step: Function, server: any, workbench: typeof import('../harness/workbench.mjs') }} t */
export default async function chatPanel({ page, step, server, workbench: wb }) {
  const dialogs = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  const relay = await startRelay();
  let bob;
  try {
    bob = await joinPeer({ relay: relay.address, name: 'bob' });

    await step('the palette runs "UDP Chat: Join" and its prompts take a name, the relay and no passphrase', async () => {
      await wb.runCommand(page, 'UDP Chat: Join');
      await wb.answerQuickInput(page, 'alice', { prompt: 'Your name in the room' });
      await wb.answerQuickInput(page, relay.address, { prompt: 'Relay address' });
      await wb.answerQuickInput(page, '', { prompt: 'Passphrase of room' }); // empty: an open room
    });

    await step('the chat view opens and says Connected', async () => {
      await wb.webviewText(page, '#connection', 'Connected', { timeoutMs: 20_000 });
      await wb.webviewText(page, '#room', 'general');
      await bob.waitFor((event) => event.event === 'join' && event.name === 'alice', 'bob to see alice join');
      await wb.findInWebview(page, '#members li[data-member-name="bob"]');
    });

    await step("a CLI peer's message appears in the conversation", async () => {
      bob.type('Hi alice! The build is green again.');
      const { locator } = await wb.findInWebview(page, '#log .entry--text:not(.entry--own) .entry__text', {
        hasText: 'The build is green again.',
      });
      check((await locator.textContent()) === 'Hi alice! The build is green again.', 'the message text differs');
    });

    await step('text typed in the composer and Enter reaches the peer', async () => {
      const { frame } = await wb.findInWebview(page, '#composer textarea');
      const composer = frame.locator('#composer textarea');
      await composer.click();
      await composer.fill('Great! Here is the sunset from the offsite:');
      await composer.press('Enter');
      const message = await bob.waitFor(
        (event) => event.event === 'message' && event.text === 'Great! Here is the sunset from the offsite:',
        'bob to get the text typed in the composer',
      );
      check(message.from === 'alice', `the message came from ${message.from}`);
      await wb.findInWebview(page, '#log .entry--own .entry__text', { hasText: 'Here is the sunset' });
      check((await composer.inputValue()) === '', 'the composer was not cleared after sending');
    });

    await step('Send Image in the Explorer context menu of a PNG sends it to the peer', async () => {
      await wb.clickExplorerContextMenu(page, 'sunset.png', 'Send Image');
      const image = await bob.waitFor((event) => event.event === 'image' && event.from === 'alice', 'bob to get the image', 30_000);
      check(image.width <= 640 && image.height <= 480, `the image arrived ${image.width}×${image.height}, larger than 640×480`);
      // The Explorer took the side bar from the chat view: back to it.
      await wb.runCommand(page, 'UDP Chat: Open Chat');
      await wb.findInWebview(page, '#log .entry--own img.entry__image', { timeoutMs: 15_000 });
    });

    await step("a peer's image shows inline in the conversation", async () => {
      bob.type('Lovely. And the lake from this morning:');
      bob.type(`/image ${path.join(server.workspace, 'lake.jpg')}`);
      const { locator } = await wb.findInWebview(page, '#log .entry--image:not(.entry--own) img.entry__image', { timeoutMs: 30_000 });
      await locator.evaluate((img) => (img.complete ? undefined : new Promise((resolve) => img.addEventListener('load', resolve, { once: true }))));
      const shown = await locator.evaluate((img) => ({ width: img.naturalWidth, height: img.naturalHeight }));
      check(shown.width > 0 && shown.height > 0, 'the image did not decode in the webview');
    });

    if (process.env.UDPCHAT_E2E_SCREENSHOT) {
      await step(`screenshot of the conversation saved to ${path.relative(REPO_ROOT, SCREENSHOT)}`, async () => {
        await wb.runCommand(page, 'Notifications: Clear All Notifications');
        await page.keyboard.press('Escape');
        // The picture is of the chat in an editor tab: that panel open and focused, the side bar closed.
        await wb.runCommand(page, 'UDP Chat: Open Chat in Editor');
        await wb.runCommand(page, 'View: Close Primary Side Bar');
        const viewport = page.viewportSize();
        await page.setViewportSize({ width: 1280, height: 1060 }); // tall enough for the whole conversation
        await page.waitForTimeout(1_000);
        fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT });
        if (viewport) await page.setViewportSize(viewport);
        console.log(`       saved ${path.relative(process.cwd(), SCREENSHOT)} (${(fs.statSync(SCREENSHOT).size / 1024).toFixed(0)} KB)`);
      });
    }

    await step('HTML markup from a peer shows as literal text and creates no element', async () => {
      const markup = '<img src=x onerror=alert(1)><b>bold</b>';
      bob.type(markup);
      const { frame, locator } = await wb.findInWebview(page, '#log .entry--text .entry__text', { hasText: 'onerror=alert(1)' });
      check((await locator.textContent()) === markup, `the text shows as ${JSON.stringify(await locator.textContent())}`);
      // Markdown gives the text a paragraph of its own; nothing of the markup becomes an element.
      const tags = await locator.evaluate((element) => [...element.querySelectorAll('*')].map((child) => child.tagName.toLowerCase()));
      check(tags.every((tag) => tag === 'p'), `the message body holds elements other than its paragraph: ${tags.join(', ')}`);
      check((await frame.locator('#log b').count()) === 0, 'a <b> element was created in the log');
      const images = await frame.locator('#log img').evaluateAll((all) => all.map((img) => img.className));
      check(images.every((name) => name === 'entry__image'), `an <img> other than the shared images is in the log: ${images}`);
      await page.waitForTimeout(500);
      check(dialogs.length === 0, `a dialog opened: ${dialogs.join(', ')}`);
    });

    await step('"UDP Chat: Leave" leaves the room and the peer sees it', async () => {
      await wb.runCommand(page, 'UDP Chat: Leave');
      await bob.waitFor((event) => event.event === 'leave' && event.name === 'alice', 'bob to see alice leave');
      await wb.webviewText(page, '#connection', 'Disconnected');
    });
  } finally {
    await bob?.stop();
    await relay.stop();
  }
}
