// An image pasted into the composer in the real workbench, against a `udp-chat join` peer: the paste (a
// ClipboardEvent holding the PNG as a File, dispatched in the chat's webview frame: headless chromium has no system
// clipboard to put a screenshot on, and this is the event a real paste delivers there) is handed to the extension
// host as bytes, compressed by the image worker, previewed from its temporary file (a webview-resource URL under the
// strict CSP) with its size and dimensions; Send delivers it and the peer saves it at those dimensions. A second
// paste is cancelled with Escape and nothing reaches the peer (a text sent after it arrives alone).
import fs from 'node:fs';
import path from 'node:path';
import { check } from './checks.mjs';
import { joinPeer, startRelay } from './cli.mjs';

/** Pastes `bytes` as a PNG file on the composer's <textarea> inside the webview `frame`. */
async function pastePng(frame, bytes) {
  await frame.locator('#composer textarea').evaluate((control, data) => {
    control.focus();
    const clipboard = new DataTransfer();
    clipboard.items.add(new File([Uint8Array.from(data)], 'image.png', { type: 'image/png' }));
    control.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true, composed: true }));
  }, bytes);
}

/** @param {{ page: import('playwright-core').Page, step: Function, server: any, workbench: typeof import('../harness/workbench.mjs') }} t */
export default async function pasteDrop({ page, step, server, workbench: wb }) {
  const relay = await startRelay();
  let dave;
  const png = [...fs.readFileSync(path.join(server.workspace, 'sunset.png'))]; // 800×600
  let frame;
  let preview;
  try {
    dave = await joinPeer({ relay: relay.address, name: 'dave' });

    await step('Join opens the chat, connected to the peer', async () => {
      await wb.runCommand(page, 'UDP Chat: Join');
      await wb.answerQuickInput(page, 'erin', { prompt: 'Your name in the room' });
      await wb.answerQuickInput(page, relay.address, { prompt: 'Relay address' });
      await wb.answerQuickInput(page, '', { prompt: 'Passphrase of room' });
      await wb.webviewText(page, '#connection', 'Connected', { timeoutMs: 20_000 });
      await dave.waitFor((event) => event.event === 'join' && event.name === 'erin', 'dave to see erin join');
      ({ frame } = await wb.findInWebview(page, '#composer textarea'));
    });

    await step('a pasted PNG is compressed by the worker and previewed from its file, with its size and dimensions', async () => {
      await pastePng(frame, png);
      const card = frame.locator('li.attachment[data-state="ready"]');
      await card.waitFor({ timeout: 30_000 });
      const image = card.locator('img.attachment__image');
      await image.evaluate((img) => (img.complete ? undefined : new Promise((resolve, reject) => { img.onload = resolve; img.onerror = reject; })));
      preview = await card.evaluate((li) => {
        const img = li.querySelector('img.attachment__image');
        return {
          natural: [img.naturalWidth, img.naturalHeight],
          src: img.getAttribute('src'),
          meta: li.querySelector('.attachment__meta').textContent,
          label: li.querySelector('.attachment__label').textContent,
          focused: document.activeElement === li,
        };
      });
      check(preview.natural[0] === 640 && preview.natural[1] === 480, `the preview decoded at ${preview.natural.join('×')}, not 640×480`);
      check(/^https:\/\/.*vscode-resource/.test(preview.src) && preview.src.includes('/attachments/'), `the preview is not a webview resource of the attachments folder: ${preview.src}`);
      check(/^640 × 480 · [\d.]+ KB$/.test(preview.meta), `the preview says ${JSON.stringify(preview.meta)}`);
      check(/^pasted-image-\d{8}-\d{6}\.png$/.test(preview.label), `the pasted image is called ${JSON.stringify(preview.label)}`);
      check(preview.focused, 'the preview did not take the focus');
      check(dave.events.filter((event) => event.event === 'image').length === 0, 'an image reached the peer before Send');
    });

    await step('Enter on the preview sends it; the peer saves the image at the previewed dimensions', async () => {
      await frame.locator('li.attachment[data-state="ready"]').press('Enter');
      const image = await dave.waitFor((event) => event.event === 'image' && event.from === 'erin', 'dave to get the pasted image', 30_000);
      check(image.width === 640 && image.height === 480, `the peer got ${image.width}×${image.height}`);
      check(fs.existsSync(image.file) && fs.statSync(image.file).size === image.bytes, `the peer did not save ${image.file}`);
      const saved = fs.readFileSync(image.file);
      check(saved[0] === 0xff && saved[1] === 0xd8, 'the saved file is not a JPEG');
      await frame.locator('#attachments').waitFor({ state: 'hidden' });
      await wb.findInWebview(page, '#log .entry--own img.entry__image', { timeoutMs: 15_000 });
    });

    await step('Escape on a second preview cancels it: nothing reaches the peer', async () => {
      await pastePng(frame, png);
      const card = frame.locator('li.attachment[data-state="ready"]');
      await card.waitFor({ timeout: 30_000 });
      await card.press('Escape');
      await frame.locator('#attachments').waitFor({ state: 'hidden' });
      // The sentinel: a text typed after the cancel arrives, and no second image came before it.
      const composer = frame.locator('#composer textarea');
      await composer.fill('after the cancelled image');
      await composer.press('Enter');
      await dave.waitFor((event) => event.event === 'message' && event.text === 'after the cancelled image', 'dave to get the text after the cancel');
      const images = dave.events.filter((event) => event.event === 'image');
      check(images.length === 1, `the peer got ${images.length} images`);
    });
  } finally {
    await dave?.stop();
    await relay.stop();
  }
}
