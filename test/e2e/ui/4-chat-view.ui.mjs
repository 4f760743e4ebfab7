// The chat view in the real workbench, against a `udp-chat join` peer: the view container's badge counting unread
// messages while the view is hidden (and the status bar), the "New" divider on return, a mention notification
// while the chat is visible but the window is not focused (with Open Chat and Reply), the `@` completion by
// keyboard, and reply, react, edit and delete both ways. With UDPCHAT_E2E_SCREENSHOT=1 it also saves the view in
// the dark and the light theme to docs/images/.
//
// An unfocused window: headless chromium has no second window to switch to, so the page is made to lose the focus
// as a browser reports it (document.hasFocus() false and a `blur` on window), which is what the workbench listens
// to before it tells the extension host `window.state.focused === false`; nothing in the extension is bypassed.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../harness/toolchain.mjs';
import { check, until } from './checks.mjs';
import { joinPeer, startRelay } from './cli.mjs';
import { screenshotter } from './screenshots.mjs';

const SCREENSHOTS = { dark: path.join(REPO_ROOT, 'docs', 'images', 'chat-view-dark.png'), light: path.join(REPO_ROOT, 'docs', 'images', 'chat-view-light.png') };

/** The UDP Chat icon's badge in the activity bar ('' when none). */
async function badgeText(page) {
  const item = page.locator('.part.activitybar .action-item').filter({ has: page.locator('[aria-label^="UDP Chat"]') }).first();
  const badge = item.locator('.badge .badge-content');
  if ((await badge.count()) === 0 || !(await badge.first().isVisible())) return '';
  return ((await badge.first().textContent()) ?? '').trim();
}

/** Makes the page lose (false) or regain (true) the focus the way a browser tells the workbench. */
async function setWindowFocus(page, focused) {
  await page.evaluate((value) => {
    document.hasFocus = () => value;
    window.dispatchEvent(new FocusEvent(value ? 'focus' : 'blur'));
    document.dispatchEvent(new Event('visibilitychange'));
  }, focused);
}

/** @param {{ page: import('playwright-core').Page, step: Function, server: any, workbench: typeof import('../harness/workbench.mjs') }} t */
export default async function chatView({ page, step, server, workbench: wb }) {
  const settingsFile = path.join(server.userDataDir, 'User', 'settings.json');
  const original = fs.readFileSync(settingsFile, 'utf8');
  const relay = await startRelay();
  let bob;
  /** Message ids: bob's first ones, alice's own. */
  const ids = {};
  const log = async (selector, options) => wb.findInWebview(page, selector, options);
  try {
    bob = await joinPeer({ relay: relay.address, name: 'bob' });

    await step('Join opens the chat view in its own view container, connected', async () => {
      await wb.runCommand(page, 'UDP Chat: Join');
      await wb.answerQuickInput(page, 'alice', { prompt: 'Your name in the room' });
      await wb.answerQuickInput(page, relay.address, { prompt: 'Relay address' });
      await wb.answerQuickInput(page, '', { prompt: 'Passphrase of room' });
      await wb.webviewText(page, '#connection', 'Connected', { timeoutMs: 20_000 });
      await bob.waitFor((event) => event.event === 'join' && event.name === 'alice', 'bob to see alice join');
      // The view, not an editor tab: no webview editor is open.
      check((await page.locator('.tabs-container .tab').filter({ hasText: 'UDP Chat' }).count()) === 0, 'the chat opened in an editor tab');
      await page.locator('.part.activitybar .action-item [aria-label^="UDP Chat"]').first().waitFor({ timeout: 10_000 });
      bob.type('Morning! Build 412 is up.');
      await log('#log .entry__text', { hasText: 'Build 412' });
    });

    await step('with the view hidden, the activity bar badge and the status bar count unread messages', async () => {
      await wb.runCommand(page, 'View: Show Explorer');
      await until('the chat view to be hidden', async () => (await badgeText(page)) === '' && (await page.locator('.explorer-folders-view').first().isVisible()));
      bob.type('Release notes are in the wiki.');
      bob.type('Can someone check the Windows build?');
      await until('the badge to say 2', async () => (await badgeText(page)) === '2');
      const item = page.locator('.part.statusbar .statusbar-item', { hasText: 'general' }).first();
      await until('the status bar to show 2 unread', async () => ((await item.textContent()) ?? '').includes('· 2'));
    });

    await step('back in the view, a "New" divider stands before the first unread message; the badge goes', async () => {
      await wb.runCommand(page, 'UDP Chat: Open Chat');
      const { locator } = await log('#new-divider');
      const next = await locator.evaluate((divider) => divider.nextElementSibling?.querySelector('.entry__text')?.textContent);
      check(next === 'Release notes are in the wiki.', `the divider stands before ${JSON.stringify(next)}`);
      await until('the badge to go', async () => (await badgeText(page)) === '');
    });

    await step('a mention while the view is visible but the window unfocused notifies, with Open Chat and Reply', async () => {
      await setWindowFocus(page, false);
      await page.waitForTimeout(500);
      bob.type('@alice can you look at #412?');
      const sent = await bob.waitFor((event) => event.event === 'sent' && event.text === '@alice can you look at #412?', 'bob to send the mention');
      ids.mention = sent.id;
      const toast = await wb.waitForNotification(page, 'mentioned you', { timeoutMs: 20_000 });
      const text = (await toast.locator('.notification-list-item-message').textContent()) ?? '';
      check(text.includes('“bob” mentioned you') && text.includes('@alice can you look at #412?'), `the toast says ${JSON.stringify(text)}`);
      check((await toast.locator('.notification-list-item-message a').count()) === 0, 'the toast message has a link');
      const buttons = await toast.locator('.notification-list-item-buttons-container .monaco-button').allTextContents();
      check(buttons.includes('Open Chat') && buttons.includes('Reply'), `buttons: ${buttons}`);
      await setWindowFocus(page, true);
      await toast.locator('.monaco-button', { hasText: 'Reply' }).click();
      await wb.webviewText(page, '#composer-target', 'Replying to bob');
    });

    await step('the reply goes out with replyTo and quotes the message it answers', async () => {
      const { frame } = await log('#composer textarea');
      const composer = frame.locator('#composer textarea');
      await composer.fill('On it.');
      await composer.press('Enter');
      const reply = await bob.waitFor((event) => event.event === 'message' && event.text === 'On it.', 'bob to get the reply');
      check(reply.replyTo === ids.mention, `replyTo ${reply.replyTo}, expected ${ids.mention}`);
      await log('#log .entry--own .entry__quote', { hasText: '@alice can you look' });
    });

    await step('@ offers the members by keyboard: ArrowDown/Enter puts @bob in place, the message mentions bob', async () => {
      const { frame } = await log('#composer textarea');
      const composer = frame.locator('#composer textarea');
      await composer.click();
      await composer.pressSequentially('thanks @b');
      await frame.locator('#mention-list [role="option"][data-name="bob"]').waitFor();
      check((await frame.locator('#mention-list [role="option"][aria-selected="true"]').textContent()) === '@bob', 'bob is not the option in focus');
      await composer.press('Enter');
      check((await composer.inputValue()) === 'thanks @bob ', `the composer holds ${JSON.stringify(await composer.inputValue())}`);
      await composer.pressSequentially('for the build');
      await composer.press('Enter');
      const message = await bob.waitFor((event) => event.event === 'message' && event.text === 'thanks @bob for the build', 'bob to get the mention');
      check(Array.isArray(message.mentions) && message.mentions.includes('bob'), `mentions: ${JSON.stringify(message.mentions)}`);
      const sent = await log('#log .entry--own .entry__text', { hasText: 'thanks @bob for the build' });
      ids.own = await sent.locator.evaluate((element) => element.closest('[data-entry-id]').dataset.entryId);
      check((await sent.locator.locator('.mention').textContent()) === '@bob', 'the mention is not highlighted');
    });

    await step("react to bob's message from the keyboard and bob sees the reaction; bob's own shows here", async () => {
      const { frame, locator } = await log(`[data-entry-id="${ids.mention}"]`);
      await locator.hover();
      await frame.locator(`[data-entry-id="${ids.mention}"] .entry__action--react`).click();
      await frame.locator('.reaction-picker').waitFor();
      await frame.locator('.reaction-picker__emoji').first().press('Enter'); // 👍, the first one
      const reaction = await bob.waitFor((event) => event.event === 'reaction' && event.id === ids.mention, 'bob to see the reaction');
      check(reaction.from === 'alice' && reaction.emoji === '👍' && reaction.on === true, JSON.stringify(reaction));
      await log(`[data-entry-id="${ids.mention}"] .reaction--mine[data-emoji="👍"]`);
      bob.type(`/react ${ids.own} 🎉`);
      const theirs = await log(`[data-entry-id="${ids.own}"] .reaction[data-emoji="🎉"]`);
      check((await theirs.locator.getAttribute('title')) === 'bob', 'the reaction does not name bob');
    });

    await step('edit your message: bob gets the edit and the view says edited', async () => {
      const { frame, locator } = await log(`[data-entry-id="${ids.own}"]`);
      await locator.hover();
      await frame.locator(`[data-entry-id="${ids.own}"] .entry__action--edit`).click();
      const composer = frame.locator('#composer textarea');
      check((await composer.inputValue()) === 'thanks @bob for the build', 'the composer does not hold the message');
      await composer.fill('thanks @bob for build 412');
      await composer.press('Enter');
      const edit = await bob.waitFor((event) => event.event === 'edit' && event.id === ids.own, 'bob to get the edit');
      check(edit.text === 'thanks @bob for build 412' && edit.from === 'alice', JSON.stringify(edit));
      await log(`[data-entry-id="${ids.own}"] .entry__edited`);
      await log(`[data-entry-id="${ids.own}"] .entry__text`, { hasText: 'build 412' });
    });

    await step("bob edits and deletes his own messages; the view shows both", async () => {
      bob.type(`/edit ${ids.mention} @alice can you look at #413?`);
      await log(`[data-entry-id="${ids.mention}"] .entry__text`, { hasText: '#413' });
      await log(`[data-entry-id="${ids.mention}"] .entry__edited`);
      const first = await bob.waitFor((event) => event.event === 'sent' && event.text === 'Release notes are in the wiki.', 'an earlier message of bob');
      bob.type(`/delete ${first.id}`);
      await log(`[data-entry-id="${first.id}"] .entry__deleted`);
    });

    if (process.env.UDPCHAT_E2E_SCREENSHOT) {
      const shoot = screenshotter(page, wb, 'chat');
      for (const theme of ['dark', 'light']) {
        await step(`screenshot of the chat view (${theme}) saved to ${path.relative(REPO_ROOT, SCREENSHOTS[theme])}`, () =>
          shoot(theme, SCREENSHOTS[theme], async () => {
            await page.mouse.move(900, 600); // no hover on a message
          }),
        );
      }
    }

    await step('delete your message (asked once): bob gets the delete and the view shows it deleted', async () => {
      const { frame, locator } = await log(`[data-entry-id="${ids.own}"]`);
      await locator.hover();
      const button = frame.locator(`[data-entry-id="${ids.own}"] .entry__action--delete`);
      await button.click();
      check((await button.textContent()) === 'Delete for everyone?', 'Delete did not ask first');
      await button.click();
      const removed = await bob.waitFor((event) => event.event === 'delete' && event.id === ids.own, 'bob to get the delete');
      check(removed.from === 'alice', JSON.stringify(removed));
      await log(`[data-entry-id="${ids.own}"] .entry__deleted`);
    });

    await step('"UDP Chat: Open Chat in Editor" shows the same conversation in an editor tab, once', async () => {
      await wb.runCommand(page, 'UDP Chat: Open Chat in Editor');
      await wb.runCommand(page, 'UDP Chat: Open Chat in Editor');
      await until('one chat editor tab', async () => (await page.locator('.tabs-container .tab').filter({ hasText: 'UDP Chat' }).count()) === 1);
      // Both surfaces render the one session: the edited message of bob is in two webviews now.
      await until('two webviews showing #413', async () => {
        let count = 0;
        for (const frame of page.frames()) {
          try {
            count += await frame.locator(`[data-entry-id="${ids.mention}"] .entry__text`, { hasText: '#413' }).count();
          } catch {
            /* detached */
          }
        }
        return count === 2;
      });
    });
  } finally {
    fs.writeFileSync(settingsFile, original);
    await setWindowFocus(page, true).catch(() => {});
    await bob?.stop();
    await relay.stop();
  }
}
