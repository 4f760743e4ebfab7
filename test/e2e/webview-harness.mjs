#!/usr/bin/env node
// The chat panel's webview in a real browser, without VS Code: serves the page the extension serves, rendered by
// the extension's own renderChatHtml (src/extension/chat-html.ts, loaded through tsx: the same CSP, the same
// nonce'd stylesheet and script), from a tiny HTTP server on 127.0.0.1 that also serves the images as the webview's
// resource origin would (webview-page.mjs). A stub `acquireVsCodeApi` records what the webview posts and a way to
// post HostMessages to it, then playwright-core drives it in the system chromium; the history checks are in
// webview-history.mjs. Builds nothing: run `node esbuild.mjs` first.
//
// Usage: node test/e2e/webview-harness.mjs        prints "webview: N passed, M failed", exits 1 on a failure.
//        UDPCHAT_WEBVIEW_ONLY=TEXT node test/e2e/webview-harness.mjs   only the checks whose name contains TEXT.
// Screenshots (light, dark, high contrast, narrow, not joined) go to .test-artifacts/webview/.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { conversationToolsChecks } from './webview-conversation-tools.mjs';
import { historyChecks } from './webview-history.mjs';
import { pasteDropChecks } from './webview-paste-drop.mjs';
import { markdownChecks } from './webview-markdown.mjs';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  chromium,
  clearPosted,
  composerValue,
  cspProblems,
  hostPost,
  IMAGES,
  imageUrl,
  nextFrame,
  openPage,
  posted,
  postedActions,
  requireDist,
  root,
  startServer,
} from './webview-page.mjs';

const ARTIFACTS = path.join(root, '.test-artifacts', 'webview');
requireDist('webview');


// ---- fixtures ----------------------------------------------------------------------------------------------------

/** A PNG of a soft diagonal gradient with a sun: a stand-in for a shared screenshot. */
function gradientPng(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'ascii');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      const t = (x / width + y / height) / 2;
      const sun = Math.hypot(x - width * 0.72, y - height * 0.32) < height * 0.16;
      const hill = y > height * (0.7 - 0.12 * Math.sin((x / width) * Math.PI * 2));
      raw[o] = sun ? 255 : hill ? 40 + 30 * t : 70 + 150 * t;
      raw[o + 1] = sun ? 214 : hill ? 120 + 40 * t : 120 + 60 * t;
      raw[o + 2] = sun ? 90 : hill ? 60 : 200 - 40 * t;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return png;
}

const XSS_TEXT = '<img src=x onerror=alert(1)><b>bold</b>';
const T0 = Date.UTC(2025, 10, 25, 14, 2, 0); // a fixed time (the browser runs in UTC): screenshots do not change by the day

function sampleState(origin) {
  IMAGES.set('photo', gradientPng(480, 300));
  IMAGES.set('sketch', gradientPng(200, 260));
  const photo = { src: imageUrl(origin, 'photo'), bytes: IMAGES.get('photo').length };
  const sketch = { src: imageUrl(origin, 'sketch'), bytes: IMAGES.get('sketch').length };
  const minute = 60_000;
  const text = (id, from, own, body, at, extra = {}) => ({
    kind: 'text',
    id,
    from,
    own,
    text: body,
    sentAt: T0 + at * minute,
    legacy: false,
    encrypted: true,
    ...extra,
  });
  return {
    connection: 'connected',
    connectionDetail: '',
    self: 'maria',
    room: 'design-team',
    relay: '10.0.0.5:7777',
    encrypted: true,
    members: [
      { id: 1, name: 'maria', legacy: false, self: true },
      { id: 2, name: 'jonas', legacy: false, self: false },
      { id: 3, name: 'Aiko', legacy: false, self: false },
      { id: 4, name: 'lab-pc-07', legacy: true, self: false },
    ],
    entries: [
      { kind: 'system', id: 'sys-1', text: 'jonas joined the room', at: T0, tone: 'info' },
      text('a000000000000001', 'jonas', false, 'Morning! Is the new build on the share yet?', 0.5),
      text('a000000000000002', 'jonas', false, 'The one with the relay fixes, I mean.', 1),
      text('a000000000000003', 'maria', true, 'Yes: \\\\fileserver\\builds\\udp-chat-0.1.0.vsix\nRelease notes: https://example.com/udp-chat/notes.', 2, {
        delivery: { state: 'delivered', progress: 1 },
      }),
      text('a000000000000004', 'Aiko', false, XSS_TEXT, 3),
      text(
        'a000000000000005',
        'lab-pc-07',
        false,
        'averyveryverylongwordwithoutanyspacesthatmustwrapinsteadofoverflowingthechatpanel_averyveryverylongword',
        4,
        { legacy: true, encrypted: false },
      ),
      {
        kind: 'image',
        id: 'b000000000000001',
        from: 'Aiko',
        own: false,
        image: { src: photo.src, width: 480, height: 300, bytes: photo.bytes },
        sentAt: T0 + 5 * minute,
        legacy: false,
        encrypted: true,
      },
      text('a000000000000006', 'maria', true, 'Nice! Posting the mock-up too.', 6, { delivery: { state: 'delivered', progress: 1 } }),
      {
        kind: 'image',
        id: 'b000000000000002',
        from: 'maria',
        own: true,
        image: { src: sketch.src, width: 200, height: 260, bytes: sketch.bytes },
        sentAt: T0 + 6.5 * minute,
        legacy: false,
        encrypted: true,
        delivery: { state: 'sending', progress: 0.42 },
      },
      text('a000000000000007', 'maria', true, 'And the checklist:\n  1. relay\n  2. client', 7, {
        delivery: { state: 'failed', progress: 0.3, reason: 'the relay did not acknowledge within 10 s' },
      }),
      { kind: 'system', id: 'sys-2', text: 'Aiko left (timeout)', at: T0 + 8 * minute, tone: 'warning' },
      { kind: 'system', id: 'sys-3', text: 'Image too large for a legacy member: not delivered to lab-pc-07', at: T0 + 9 * minute, tone: 'error' },
      text('a000000000000008', 'maria', true, 'Let me know when you are back.', 9.5, { delivery: { state: 'sending', progress: 0 } }),
    ],
    transfers: [
      { id: 't-compress', direction: 'outgoing', label: 'Compressing screenshot.png', progress: undefined },
      { id: 't-receive', direction: 'incoming', label: 'Receiving an image from jonas', progress: 0.4 },
    ],
    stats: { rttMs: 1.2, lossPercent: 0, retransmitted: 3, sent: 1250 },
    maxTextBytes: 4000,
    hasOlder: false,
    unread: { since: undefined, count: 0, mentions: 0 },
    typing: [],
  };
}

// ---- checks --------------------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
/** UDPCHAT_WEBVIEW_ONLY=TEXT runs only the checks whose name contains TEXT (while working on them). */
const ONLY = process.env.UDPCHAT_WEBVIEW_ONLY;
async function check(name, fn) {
  if (ONLY && !name.includes(ONLY)) return;
  try {
    await fn();
    passed++;
    console.log(`  ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(`  FAIL ${name}\n       ${String(error?.stack ?? error).split('\n').slice(0, 4).join('\n       ')}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}
function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    await run(browser, server);
  } finally {
    await browser.close();
    server.close();
  }
  console.log(`webview: ${passed} passed, ${failed} failed`);
  // scripts/test.mjs reads the counts from here.
  if (process.env.UDPCHAT_TEST_RESULT) {
    fs.writeFileSync(process.env.UDPCHAT_TEST_RESULT, JSON.stringify({ suite: 'webview', passes: passed, failures: failed }) + '\n');
  }
  process.exitCode = failed === 0 ? 0 : 1;
}

async function run(browser, server) {
  const origin = `http://127.0.0.1:${server.address().port}`;
  const state = sampleState(origin);
  const { page, context, log } = await openPage(browser, server, { theme: 'dark' });

  await check('posts ready once on load, before any state', async () => {
    assertEqual((await posted(page)).filter((m) => m.type === 'ready').length, 1, 'ready messages');
  });

  await hostPost(page, { type: 'state', state });
  await page.waitForSelector('#log .entry');
  await nextFrame(page);

  await check('the state snapshot renders entries, members, connection, room, relay, security, stats', async () => {
    const view = await page.evaluate(() => ({
      entries: document.querySelectorAll('#log [data-entry-id]').length,
      members: [...document.querySelectorAll('#members li[data-member-name]')].map((li) => li.dataset.memberName),
      self: document.querySelector('#members li.member--self')?.textContent,
      legacy: document.querySelector('#members li[data-member-name="lab-pc-07"] .tag')?.textContent,
      connection: document.getElementById('connection').textContent,
      connectionState: document.getElementById('connection').dataset.state,
      room: document.getElementById('room').textContent,
      relay: document.getElementById('relay').textContent,
      security: document.getElementById('security').textContent,
      stats: document.getElementById('stats').textContent,
      toggle: document.getElementById('members-toggle').textContent,
      join: document.getElementById('join-prompt').hidden,
      leave: document.getElementById('leave').hidden,
    }));
    assertEqual(view.entries, state.entries.length, 'entries');
    assertEqual(view.members, ['maria', 'Aiko', 'jonas', 'lab-pc-07'], 'members (self first, then by name)');
    assert(view.self?.includes('(you)'), `self member shows (you): ${view.self}`);
    assertEqual(view.legacy, 'legacy', 'legacy marker');
    assertEqual([view.connection, view.connectionState], ['Connected', 'connected'], 'connection');
    assertEqual([view.room, view.relay], ['design-team', 'via 10.0.0.5:7777'], 'room and relay');
    assertEqual(view.security, 'end-to-end encrypted', 'security marker');
    assertEqual(view.stats, 'round trip 1.2 ms · loss 0.0 % · 3 retransmissions', 'stats');
    assert(view.toggle.includes('4 members'), `member count: ${view.toggle}`);
    assert(view.join && !view.leave, 'joined: no join prompt, a leave button');
  });

  await check('entries carry the documented classes; own ones are aligned and tinted apart', async () => {
    const view = await page.evaluate(() => {
      const cls = (id) => document.querySelector(`[data-entry-id="${id}"]`).className;
      const style = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
      return {
        system: cls('sys-1'),
        text: cls('a000000000000001'),
        own: cls('a000000000000003'),
        image: cls('b000000000000001'),
        continued: cls('a000000000000002'),
        ownAlign: style('[data-entry-id="a000000000000003"]', 'alignItems'),
        otherAlign: style('[data-entry-id="a000000000000001"]', 'alignItems'),
        ownBg: style('[data-entry-id="a000000000000003"] .entry__bubble', 'backgroundColor'),
        otherBg: style('[data-entry-id="a000000000000001"] .entry__bubble', 'backgroundColor'),
        ownRight: document.querySelector('[data-entry-id="a000000000000003"] .entry__bubble').getBoundingClientRect().right,
        otherLeft: document.querySelector('[data-entry-id="a000000000000001"] .entry__bubble').getBoundingClientRect().left,
        logWidth: document.getElementById('log').getBoundingClientRect().width,
        time: document.querySelector('[data-entry-id="a000000000000001"] time.entry__time')?.getAttribute('datetime'),
        timeText: document.querySelector('[data-entry-id="a000000000000001"] time.entry__time')?.textContent,
        timeTitle: document.querySelector('[data-entry-id="a000000000000001"] time.entry__time')?.title,
        warning: cls('sys-2'),
        error: cls('sys-3'),
        whiteSpace: style('[data-entry-id="a000000000000003"] .entry__text', 'whiteSpace'),
      };
    });
    assert(/\bentry\b/.test(view.system) && view.system.includes('entry--system'), `system: ${view.system}`);
    assert(view.text.includes('entry--text') && !view.text.includes('entry--own'), `text: ${view.text}`);
    assert(view.own.includes('entry--text') && view.own.includes('entry--own'), `own: ${view.own}`);
    assert(view.image.includes('entry--image'), `image: ${view.image}`);
    assert(view.continued.includes('entry--continued'), `consecutive message of one sender groups: ${view.continued}`);
    assertEqual([view.ownAlign, view.otherAlign], ['flex-end', 'flex-start'], 'alignment');
    assert(view.ownBg !== view.otherBg, `own bubble tinted differently: ${view.ownBg} vs ${view.otherBg}`);
    assert(view.ownRight > view.logWidth * 0.8 && view.otherLeft < view.logWidth * 0.2, 'own right, others left');
    assertEqual(view.time, new Date(T0 + 30_000).toISOString(), 'time datetime');
    assertEqual(view.timeText, '14:02', 'time HH:MM');
    assert(/2025/.test(view.timeTitle), `full date in the title: ${view.timeTitle}`);
    assert(view.warning.includes('entry--warning') && view.error.includes('entry--error'), 'system tones');
    assertEqual(view.whiteSpace, 'pre-wrap', 'text keeps line breaks');
  });

  await check('message text is never parsed as HTML (no img/b element, no script ran)', async () => {
    const view = await page.evaluate(() => {
      const entry = document.querySelector('[data-entry-id="a000000000000004"]');
      return {
        text: entry.querySelector('.entry__text').textContent,
        imgs: entry.querySelectorAll('img').length,
        bolds: document.querySelectorAll('#log b').length,
        strayImages: [...document.querySelectorAll('img')].filter((img) => !img.classList.contains('entry__image')).length,
      };
    });
    assertEqual(view.text, XSS_TEXT, 'literal text');
    assertEqual([view.imgs, view.bolds, view.strayImages], [0, 0, 0], 'elements created from text');
    assertEqual(log.dialogs, [], 'dialogs');
  });

  await check('long words wrap inside the panel; links are http(s) anchors', async () => {
    const view = await page.evaluate(() => {
      const bubble = document.querySelector('[data-entry-id="a000000000000005"] .entry__bubble');
      const log = document.getElementById('log');
      const link = document.querySelector('[data-entry-id="a000000000000003"] a.entry__link');
      return {
        bubbleRight: bubble.getBoundingClientRect().right,
        logRight: log.getBoundingClientRect().right,
        horizontalScroll: log.scrollWidth > log.clientWidth,
        href: link?.getAttribute('href'),
        linkText: link?.textContent,
      };
    });
    assert(view.bubbleRight <= view.logRight && !view.horizontalScroll, 'long word overflows');
    assertEqual([view.href, view.linkText], ['https://example.com/udp-chat/notes', 'https://example.com/udp-chat/notes'], 'link (trailing dot left out)');
  });

  await check('clicking a link asks the host to open it and never navigates the webview', async () => {
    await clearPosted(page);
    const before = page.url();
    await page.click('[data-entry-id="a000000000000003"] a.entry__link');
    assertEqual(await postedActions(page), [{ type: 'openLink', url: 'https://example.com/udp-chat/notes' }], 'posted');
    assertEqual(page.url(), before, 'the webview did not navigate');
  });

  await check('images: alt text, size attributes keep the aspect, fits the panel, focusable button', async () => {
    const view = await page.evaluate(() => {
      const img = document.querySelector('[data-entry-id="b000000000000001"] img.entry__image');
      const box = img.getBoundingClientRect();
      return {
        alt: img.alt,
        width: img.getAttribute('width'),
        height: img.getAttribute('height'),
        ratio: box.width / box.height,
        complete: img.complete && img.naturalWidth > 0,
        inButton: img.parentElement.tagName === 'BUTTON',
      };
    });
    assertEqual(view.alt, 'Image from Aiko, 480×300', 'alt');
    assertEqual([view.width, view.height], ['360', '225'], 'display size attributes (scaled into 360×280)');
    assert(Math.abs(view.ratio - 480 / 300) < 0.02, `aspect kept: ${view.ratio}`);
    assert(view.complete, 'the image loads from the resource origin under the CSP');
    assert(view.inButton, 'image sits in a button');
  });

  await check('clicking an image posts openImage; Enter on the focused image does too', async () => {
    await clearPosted(page);
    await page.click('[data-entry-id="b000000000000001"] img.entry__image');
    await page.focus('[data-entry-id="b000000000000002"] .entry__image-button');
    await page.keyboard.press('Enter');
    assertEqual(
      await postedActions(page),
      [
        { type: 'openImage', id: 'b000000000000001' },
        { type: 'openImage', id: 'b000000000000002' },
      ],
      'posted',
    );
  });

  await check('delivery states: sending with <progress>, delivered tick, failed with reason and Retry', async () => {
    const view = await page.evaluate(() => {
      const d = (id) => document.querySelector(`[data-entry-id="${id}"] .entry__delivery`);
      return {
        delivered: d('a000000000000003').className,
        deliveredText: d('a000000000000003').textContent,
        sendingImage: d('b000000000000002').querySelector('progress')?.value,
        sendingText: d('a000000000000008').textContent,
        failed: d('a000000000000007').className,
        failedTitle: d('a000000000000007').title,
        retry: !!d('a000000000000007').querySelector('.entry__retry'),
      };
    });
    assert(view.delivered.includes('entry__delivery--delivered') && view.deliveredText.includes('✓'), 'delivered tick');
    assert(Math.abs(view.sendingImage - 0.42) < 1e-6, `image progress bound: ${view.sendingImage}`);
    assert(view.sendingText.includes('sending…'), `text sending: ${view.sendingText}`);
    assert(view.failed.includes('entry__delivery--failed') && view.retry, 'failed shows Retry');
    assertEqual(view.failedTitle, 'the relay did not acknowledge within 10 s', 'reason tooltip');
  });

  await check('a delivery update touches only its entry; Retry posts retry', async () => {
    await page.evaluate(() => {
      document.querySelector('[data-entry-id="a000000000000008"]').__marker = 1;
      document.querySelector('[data-entry-id="a000000000000001"]').__marker = 2;
    });
    await hostPost(page, { type: 'delivery', id: 'a000000000000008', delivery: { state: 'failed', progress: 0, reason: 'relay unreachable' } });
    await page.waitForSelector('[data-entry-id="a000000000000008"] .entry__retry');
    const kept = await page.evaluate(
      () =>
        document.querySelector('[data-entry-id="a000000000000008"]').__marker === 1 &&
        document.querySelector('[data-entry-id="a000000000000001"]').__marker === 2,
    );
    assert(kept, 'entry elements were re-created');
    await clearPosted(page);
    await page.click('[data-entry-id="a000000000000008"] .entry__retry');
    assertEqual(await postedActions(page), [{ type: 'retry', id: 'a000000000000008' }], 'posted');
    await hostPost(page, { type: 'delivery', id: 'a000000000000008', delivery: { state: 'delivered', progress: 1 } });
    await page.waitForSelector('[data-entry-id="a000000000000008"] .entry__delivery--delivered');
  });

  await check('Discard posts discard; a discarded message says "not sent" and offers nothing more', async () => {
    const id = 'a000000000000007'; // failed in the sample state
    await clearPosted(page);
    await page.click(`[data-entry-id="${id}"] .entry__discard`);
    assertEqual(await postedActions(page), [{ type: 'discard', id }], 'posted');
    await hostPost(page, { type: 'delivery', id, delivery: { state: 'failed', progress: 0.3, reason: 'discarded', discarded: true } });
    await page.waitForFunction((i) => !document.querySelector(`[data-entry-id="${i}"] .entry__retry`), id);
    const text = await page.textContent(`[data-entry-id="${id}"] .entry__delivery`);
    assert(text.startsWith('not sent'), `delivery text: ${text}`);
    assertEqual(await page.evaluate((i) => document.querySelectorAll(`[data-entry-id="${i}"] .entry__delivery button`).length, id), 0, 'buttons');
    await hostPost(page, { type: 'delivery', id, delivery: state.entries.find((e) => e.id === id).delivery });
    await page.waitForSelector(`[data-entry-id="${id}"] .entry__discard`);
  });

  await check('the log is a polite live region and keeps existing elements when an entry arrives', async () => {
    const attrs = await page.evaluate(() => {
      const log = document.getElementById('log');
      return [log.getAttribute('role'), log.getAttribute('aria-live')];
    });
    assertEqual(attrs, ['log', 'polite'], 'role/aria-live');
    await hostPost(page, {
      type: 'entry',
      entry: { kind: 'text', id: 'c000000000000001', from: 'jonas', own: false, text: 'incremental', sentAt: T0 + 10 * 60_000, legacy: false, encrypted: true },
    });
    await page.waitForSelector('[data-entry-id="c000000000000001"]');
    const view = await page.evaluate(() => ({
      kept: document.querySelector('[data-entry-id="a000000000000001"]').__marker === 2,
      last: document.querySelector('#log > :last-child').dataset.entryId,
    }));
    assert(view.kept, 'existing entries were re-rendered');
    assertEqual(view.last, 'c000000000000001', 'appended at the end');
  });

  await check('Enter sends {type:"send"}, clears the composer and keeps focus there', async () => {
    await clearPosted(page);
    await page.click('#composer textarea');
    await page.keyboard.type('hello there');
    await page.keyboard.press('Enter');
    assertEqual(await postedActions(page), [{ type: 'send', text: 'hello there' }], 'posted');
    assertEqual(await composerValue(page), '', 'composer cleared');
    assertEqual(await page.evaluate(() => document.activeElement?.id), 'composer', 'focus');
  });

  await check('Shift+Enter inserts a newline and sends nothing; the Send button sends both lines', async () => {
    await clearPosted(page);
    await page.keyboard.type('line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two');
    assertEqual(await composerValue(page), 'line one\nline two', 'value');
    assertEqual(await postedActions(page), [], 'posted');
    await page.click('#send');
    assertEqual(await postedActions(page), [{ type: 'send', text: 'line one\nline two' }], 'posted after Send');
    assertEqual(await composerValue(page), '', 'composer cleared');
    assertEqual(await page.evaluate(() => document.activeElement?.id), 'composer', 'focus back in the composer');
  });

  await check('an Enter during IME composition never sends', async () => {
    await clearPosted(page);
    await page.keyboard.type('にほん');
    await page.evaluate(() => {
      const textarea = document.querySelector('#composer').shadowRoot.querySelector('textarea');
      for (const init of [{ isComposing: true }, { keyCode: 229 }]) {
        textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true, ...init }));
      }
    });
    assertEqual(await postedActions(page), [], 'posted');
    assertEqual(await composerValue(page), 'にほん', 'value');
    await page.keyboard.press('Enter');
    assertEqual(await postedActions(page), [{ type: 'send', text: 'にほん' }], 'posted once composition ended');
  });

  await check('empty and whitespace-only drafts are not sent; Escape leaves the draft alone', async () => {
    await clearPosted(page);
    await page.keyboard.press('Enter');
    await page.keyboard.type('   ');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('  ');
    await page.keyboard.press('Enter');
    assertEqual(await postedActions(page), [], 'posted');
    await page.keyboard.type('keep me');
    await page.keyboard.press('Escape');
    assert((await composerValue(page)).endsWith('keep me'), 'draft survives Escape');
    assertEqual(await postedActions(page), [], 'posted after Escape');
    await page.evaluate(() => (document.getElementById('composer').value = ''));
  });

  await check('past maxTextBytes the counter warns and Enter does not send', async () => {
    await clearPosted(page);
    await page.evaluate(() => {
      const el = document.getElementById('composer');
      const textarea = el.shadowRoot.querySelector('textarea');
      textarea.value = 'é'.repeat(2100); // 4,200 bytes of UTF-8 > 4,000
      textarea.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    });
    const counter = await page.evaluate(() => {
      const c = document.getElementById('composer-counter');
      return { hidden: c.hidden, text: c.textContent, over: c.classList.contains('composer__counter--over') };
    });
    assert(!counter.hidden && counter.over && counter.text.includes('4,200 / 4,000 bytes'), `counter: ${JSON.stringify(counter)}`);
    await page.focus('#composer');
    await page.keyboard.press('Enter');
    assertEqual(await postedActions(page), [], 'posted');
    await page.evaluate(() => {
      const textarea = document.getElementById('composer').shadowRoot.querySelector('textarea');
      textarea.value = '';
      textarea.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    });
    assert(await page.evaluate(() => document.getElementById('composer-counter').hidden), 'counter hides again');
  });

  await check('Image…, Leave and the member toggle post / act', async () => {
    await clearPosted(page);
    await page.click('#pick-image');
    await page.click('#leave');
    assertEqual(await postedActions(page), [{ type: 'pickImage' }, { type: 'leave' }], 'posted');
    const before = await page.evaluate(() => document.getElementById('members-panel').hidden);
    await page.click('#members-toggle');
    const after = await page.evaluate(() => ({
      hidden: document.getElementById('members-panel').hidden,
      expanded: document.getElementById('members-toggle').getAttribute('aria-expanded'),
    }));
    assertEqual([before, after.hidden, after.expanded], [false, true, 'false'], 'members panel toggles');
    await page.click('#members-toggle');
  });

  await check('connection updates: reconnecting is distinct, offline composer stays typeable', async () => {
    await hostPost(page, { type: 'connection', state: 'reconnecting', detail: 'no answer from the relay for 6 s' });
    await page.waitForSelector('#connection[data-state="reconnecting"]');
    const view = await page.evaluate(() => ({
      text: document.getElementById('connection').textContent,
      detail: document.getElementById('connection-detail').textContent,
      color: getComputedStyle(document.getElementById('connection')).color,
      offline: document.querySelector('.composer').classList.contains('composer--offline'),
    }));
    assertEqual([view.text, view.detail], ['Reconnecting…', 'no answer from the relay for 6 s'], 'text');
    assert(view.offline, 'composer marked offline');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dark-reconnecting.png') });
    await clearPosted(page);
    await page.click('#composer textarea');
    await page.keyboard.type('queued while offline');
    await page.keyboard.press('Enter');
    assertEqual(await postedActions(page), [{ type: 'send', text: 'queued while offline' }], 'sends while offline (host queues)');
    await hostPost(page, { type: 'connection', state: 'connected', detail: '' });
    await page.waitForSelector('#connection[data-state="connected"]');
    const connectedColor = await page.evaluate(() => getComputedStyle(document.getElementById('connection')).color);
    assert(connectedColor !== view.color, 'reconnecting colour differs from connected');
  });

  await check('transfers: indeterminate while compressing, determinate while sending, removed when done', async () => {
    const view = await page.evaluate(() => {
      const p = (id) => document.querySelector(`#transfers li[data-transfer-id="${id}"] progress`);
      return { compress: p('t-compress')?.hasAttribute('value'), receive: p('t-receive')?.value };
    });
    assertEqual(view, { compress: false, receive: 0.4 }, 'progress');
    await hostPost(page, { type: 'transfer', transfer: { id: 't-compress', direction: 'outgoing', label: 'Sending screenshot.png', progress: 0.75 } });
    await page.waitForFunction(() => document.querySelector('#transfers li[data-transfer-id="t-compress"] progress').value === 0.75);
    await hostPost(page, { type: 'transferDone', id: 't-compress' });
    await hostPost(page, { type: 'transferDone', id: 't-receive' });
    await page.waitForFunction(() => document.getElementById('transfers').hidden);
    await hostPost(page, { type: 'transfer', transfer: state.transfers[0] });
    await hostPost(page, { type: 'transfer', transfer: state.transfers[1] });
  });

  await check('members and stats update in place', async () => {
    await hostPost(page, { type: 'members', members: [...state.members, { id: 5, name: 'Zoë', legacy: false, self: false }] });
    await page.waitForSelector('#members li[data-member-name="Zoë"]');
    await hostPost(page, { type: 'stats', stats: { rttMs: 12.345, lossPercent: 2.5, retransmitted: 1, sent: 10 } });
    await page.waitForFunction(() => document.getElementById('stats').textContent === 'round trip 12.3 ms · loss 2.5 % · 1 retransmission');
    assert((await page.textContent('#members-toggle')).includes('5 members'), 'member count');
    await hostPost(page, { type: 'members', members: state.members });
    await hostPost(page, { type: 'stats', stats: state.stats });
  });

  await check('invalid host messages are ignored with a warning', async () => {
    const before = await page.evaluate(() => document.querySelectorAll('#log [data-entry-id]').length);
    for (const bad of [
      { type: 'entry', entry: { kind: 'text', id: 'zz', from: 'x' } },
      { type: 'entry', entry: { kind: 'image', id: 'b1', from: 'x', own: false, sentAt: 1, legacy: false, encrypted: false, image: { src: 'javascript:alert(1)', width: 1, height: 1, bytes: 1 } } },
      { type: 'entry', entry: { kind: 'image', id: 'b2', from: 'x', own: false, sentAt: 1, legacy: false, encrypted: false, image: { src: 'data:image/png;base64,iVBORw0KGgo=', width: 1, height: 1, bytes: 1 } } },
      { type: 'nope' },
      'state',
      null,
    ]) {
      await hostPost(page, bad);
    }
    await nextFrame(page);
    const after = await page.evaluate(() => document.querySelectorAll('#log [data-entry-id]').length);
    assertEqual(after, before, 'entries');
    const warnings = log.console.filter((m) => m.type === 'warning' && m.text.includes('invalid message')).length;
    assertEqual(warnings, 6, 'warnings');
  });

  await check('an image whose saved file is gone shows "no longer saved" in its place', async () => {
    await hostPost(page, {
      type: 'entry',
      entry: { kind: 'image', id: 'b000000000000009', from: 'jonas', own: false, sentAt: T0 + 10 * 60_000, legacy: false, encrypted: true, image: { width: 64, height: 48, bytes: 900 } },
    });
    const shown = await page.waitForSelector('[data-entry-id="b000000000000009"] .entry__image--missing');
    assertEqual(await shown.textContent(), 'Image no longer saved', 'placeholder');
    assertEqual(await page.evaluate(() => document.querySelectorAll('[data-entry-id="b000000000000009"] img').length), 0, 'img elements');
  });

  await check('focusComposer focuses the composer', async () => {
    await page.focus('#log');
    await hostPost(page, { type: 'focusComposer' });
    await page.waitForFunction(() => document.activeElement?.id === 'composer');
  });

  await check('Tab reaches every control, with a visible focus indicator', async () => {
    await page.evaluate(() => document.activeElement?.blur());
    const seen = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const info = await page.evaluate(() => {
        const a = document.activeElement;
        const entry = a?.closest?.('[data-entry-id]');
        return a ? { id: a.id, cls: a.className, entry: entry?.dataset.entryId ?? '' } : { id: '', cls: '', entry: '' };
      });
      seen.push(info.id || `${info.cls}@${info.entry}`);
    }
    for (const wanted of ['members-toggle', 'leave', 'log', 'composer', 'pick-image', 'send']) {
      assert(seen.includes(wanted), `${wanted} not reached by Tab: ${seen.join(', ')}`);
    }
    assert(seen.some((s) => s.startsWith('entry__image-button')), 'image buttons reachable');
    assert(seen.some((s) => s.startsWith('entry__retry')), 'Retry reachable');
    await page.focus('[data-entry-id="b000000000000001"] .entry__image-button');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert(outline !== 'none', `focus outline: ${outline}`);
  });

  await check('accessible names: composer, log, buttons, images', async () => {
    const names = await page.evaluate(() => ({
      composer: document.querySelector('#composer').shadowRoot.querySelector('textarea').getAttribute('aria-label'),
      log: document.getElementById('log').getAttribute('aria-label'),
      send: document.getElementById('send').textContent.trim(),
      pick: document.getElementById('pick-image').textContent.trim(),
      expanded: document.getElementById('members-toggle').getAttribute('aria-expanded'),
      controls: document.getElementById('members-toggle').getAttribute('aria-controls'),
      unnamedImages: [...document.querySelectorAll('#log img')].filter((i) => !i.alt).length,
      app: document.getElementById('app').getAttribute('aria-label'),
    }));
    assertEqual(names, {
      composer: 'Message',
      log: 'Messages',
      send: 'Send',
      pick: 'Image…',
      expanded: 'true',
      controls: 'members-panel',
      unnamedImages: 0,
      app: 'UDP Chat',
    }, 'names');
  });

  await check('the draft survives a reload (getState/setState)', async () => {
    await page.click('#composer textarea');
    await page.keyboard.type('half-written thought');
    await page.waitForFunction(() => window.__vscodeState?.draft === 'half-written thought');
    const saved = await page.evaluate(() => window.__vscodeState);
    const reloaded = await openPage(browser, server, { theme: 'dark', savedState: saved });
    try {
      assertEqual(await composerValue(reloaded.page), 'half-written thought', 'restored draft');
      await hostPost(reloaded.page, { type: 'state', state });
      await reloaded.page.waitForSelector('#log .entry');
      assertEqual(await composerValue(reloaded.page), 'half-written thought', 'draft kept after state');
    } finally {
      await reloaded.context.close();
    }
    await page.evaluate(() => (document.getElementById('composer').value = ''));
  });

  await check('no CSP violation, no page error, no toolkit console error', async () => {
    const problems = cspProblems(log, await page.evaluate(() => window.__violations));
    assertEqual(problems, [], 'problems');
    const errors = log.console.filter((m) => m.type === 'error');
    assertEqual(errors, [], 'console errors');
  });

  // ---- screenshots ----
  const shot = async (p, name) => {
    await p.evaluate(() => document.activeElement?.blur());
    await nextFrame(p);
    await p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  };
  await context.close();

  await check('the CSP refuses images from data:, blob: and other origins, connections and inline script', async () => {
    const opened = await openPage(browser, server, { theme: 'dark' });
    try {
      const outcome = await opened.page.evaluate(async (otherOrigin) => {
        const load = (src) =>
          new Promise((resolve) => {
            const img = document.createElement('img');
            img.onload = () => resolve('loaded');
            img.onerror = () => resolve('refused');
            img.src = src;
            document.body.append(img);
          });
        const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
        const blob = URL.createObjectURL(new Blob([Uint8Array.from(atob(png), (c) => c.charCodeAt(0))], { type: 'image/png' }));
        const results = {
          data: await load(`data:image/png;base64,${png}`),
          blob: await load(blob),
          otherOrigin: await load(otherOrigin),
        };
        results.fetch = await fetch(otherOrigin, { mode: 'no-cors' }).then(() => 'loaded', () => 'refused');
        const script = document.createElement('script');
        script.textContent = 'window.__inlineRan = true;';
        document.body.append(script);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { ...results, inlineRan: window.__inlineRan === true };
      }, imageUrl(`http://localhost:${server.address().port}`, 'photo'));
      assertEqual(outcome, { data: 'refused', blob: 'refused', otherOrigin: 'refused', fetch: 'refused', inlineRan: false }, 'what the CSP let through');
      const violations = await opened.page.evaluate(() => window.__violations.map((v) => v.split(' ')[0]));
      assertEqual([...new Set(violations)].sort(), ['connect-src', 'img-src', 'script-src-elem'], 'directives that refused');
    } finally {
      await opened.context.close();
    }
  });

  for (const theme of ['dark', 'light', 'high-contrast']) {
    await check(`${theme} theme renders without CSP violations`, async () => {
      const opened = await openPage(browser, server, { theme });
      try {
        await hostPost(opened.page, { type: 'state', state });
        await opened.page.waitForSelector('[data-entry-id="a000000000000008"]');
        await opened.page.waitForFunction(() => [...document.images].every((i) => i.complete));
        await shot(opened.page, theme);
        if (theme === 'dark') {
          await opened.page.evaluate(() => (document.getElementById('log').scrollTop = 0));
          await shot(opened.page, 'dark-top');
        }
        assertEqual(cspProblems(opened.log, await opened.page.evaluate(() => window.__violations)), [], 'problems');
      } finally {
        await opened.context.close();
      }
    });
  }

  await check('narrow panel: no horizontal overflow; members overlay when opened', async () => {
    const opened = await openPage(browser, server, { theme: 'dark', width: 360, height: 640 });
    try {
      await hostPost(opened.page, { type: 'state', state });
      await opened.page.waitForSelector('[data-entry-id="a000000000000008"]');
      const closed = await opened.page.evaluate(() => document.getElementById('members-panel').hidden);
      assert(closed, 'member list starts closed in a narrow panel');
      const overflow = await opened.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      assert(!overflow, 'horizontal overflow');
      await shot(opened.page, 'dark-narrow');
      await opened.page.click('#members-toggle');
      await shot(opened.page, 'dark-narrow-members');
      await opened.page.keyboard.press('Escape'); // focus is on the toggle, not in the panel: nothing happens
    } finally {
      await opened.context.close();
    }
  });

  await check('not joined: an empty state with Join posts join; no Leave', async () => {
    const opened = await openPage(browser, server, { theme: 'light', width: 700, height: 480 });
    try {
      await hostPost(opened.page, {
        type: 'state',
        state: { ...state, connection: 'disconnected', self: undefined, room: undefined, relay: undefined, encrypted: false, members: [], entries: [], transfers: [], stats: undefined },
      });
      await opened.page.waitForSelector('#join', { state: 'visible' });
      assert(await opened.page.evaluate(() => document.getElementById('leave').hidden && document.getElementById('members-panel').hidden), 'leave and member list hidden');
      await clearPosted(opened.page);
      await opened.page.click('#join');
      assertEqual(await posted(opened.page), [{ type: 'join' }], 'posted');
      await shot(opened.page, 'light-not-joined');
    } finally {
      await opened.context.close();
    }
  });

  await check('following the newest: a 1,200-entry snapshot and 250 live entries keep the rendered rows bounded', async () => {
    const opened = await openPage(browser, server, { theme: 'dark' });
    try {
      const many = Array.from({ length: 1200 }, (_, i) => ({
        kind: 'text',
        id: `d${String(i).padStart(15, '0')}`,
        from: i % 3 === 0 ? 'maria' : 'jonas',
        own: i % 3 === 0,
        text: `message ${i}`,
        sentAt: T0 + i * 1000,
        legacy: false,
        encrypted: true,
      }));
      const started = Date.now();
      await hostPost(opened.page, { type: 'state', state: { ...state, entries: many } });
      await opened.page.waitForSelector(`[data-entry-id="d${String(1199).padStart(15, '0')}"]`);
      const snapshotMs = Date.now() - started;
      await nextFrame(opened.page);
      const rowsNow = () =>
        opened.page.evaluate(() => {
          const l = document.getElementById('log');
          return { count: l.querySelectorAll('[data-entry-id]').length, fromBottom: l.scrollHeight - l.scrollTop - l.clientHeight, firstIsDay: l.querySelector('[data-entry-id]').previousElementSibling?.classList.contains('log__day') };
        });
      const first = await rowsNow();
      assert(first.count > 0 && first.count <= 200, `rows rendered of 1,200: ${first.count}`);
      assert(first.fromBottom < 2, `scrolled to the newest message: ${first.fromBottom}`);
      // 250 entries, each its own message event, timed inside the page: handling plus the layout it causes.
      const addMs = await opened.page.evaluate(
        ({ template, t0 }) => {
          const started = performance.now();
          for (let i = 0; i < 250; i++) {
            const id = `e${String(i).padStart(15, '0')}`;
            const entry = { ...template, id, text: `new ${i}`, sentAt: t0 + 1_300_000 + i };
            window.dispatchEvent(new MessageEvent('message', { data: { type: 'entry', entry } }));
            void document.getElementById('log').scrollHeight;
          }
          return Math.round(performance.now() - started);
        },
        { template: many[0], t0: T0 },
      );
      await opened.page.waitForSelector(`[data-entry-id="e${String(249).padStart(15, '0')}"]`);
      await nextFrame(opened.page);
      const after = await rowsNow();
      assert(after.count <= 200 && after.count >= first.count, `rows after 250 more: ${after.count}`);
      assert(after.fromBottom < 2 && after.firstIsDay, `following, with a day divider on top: ${JSON.stringify(after)}`);
      assert(addMs < 250 * 16, `an entry takes longer than a frame (16 ms): ${addMs / 250} ms`);
      console.log(`       (1,200-entry snapshot ${snapshotMs} ms, 250 incremental entries ${addMs} ms in the page)`);
    } finally {
      await opened.context.close();
    }
  });

  await check('scrolled up: new messages do not move the view and raise "new messages"', async () => {
    const opened = await openPage(browser, server, { theme: 'dark', width: 700, height: 500 });
    try {
      await hostPost(opened.page, { type: 'state', state });
      await opened.page.waitForSelector('[data-entry-id="a000000000000008"]');
      await opened.page.evaluate(() => (document.getElementById('log').scrollTop = 0));
      await nextFrame(opened.page);
      await hostPost(opened.page, {
        type: 'entry',
        entry: { kind: 'text', id: 'f000000000000001', from: 'jonas', own: false, text: 'while you were reading', sentAt: T0 + 11 * 60_000, legacy: false, encrypted: true },
      });
      await opened.page.waitForSelector('#jump-latest', { state: 'visible' });
      const view = await opened.page.evaluate(() => ({ top: document.getElementById('log').scrollTop, label: document.getElementById('jump-latest').textContent }));
      assertEqual(view, { top: 0, label: '1 new message' }, 'view kept');
      await shot(opened.page, 'dark-new-messages');
      await opened.page.click('#jump-latest');
      await opened.page.waitForSelector('#jump-latest', { state: 'hidden' });
    } finally {
      await opened.context.close();
    }
  });

  await historyChecks(
    { check, assert, assertEqual, openPage, hostPost, posted, clearPosted, nextFrame },
    { browser, server, state, T0, XSS_TEXT, artifacts: ARTIFACTS },
  );

  await conversationToolsChecks(
    { check, assert, assertEqual, openPage, hostPost, posted, clearPosted, nextFrame },
    { browser, server, state, T0, artifacts: ARTIFACTS },
  );

  await markdownChecks(
    { check, assert, assertEqual, openPage, hostPost, posted, clearPosted, nextFrame },
    { browser, server, state, T0, artifacts: ARTIFACTS },
  );

  await pasteDropChecks(
    { check, assert, assertEqual, openPage, hostPost, posted, clearPosted, nextFrame },
    { browser, server, state, png: gradientPng, images: IMAGES, imageUrl },
  );
}

await main();
