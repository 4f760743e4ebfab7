// A peer's message written as a VS Code notification link, `[Shared doc](command:…)`, shows in the new-message
// toast as text and creates no link: VS Code turns `[label](command:…)` in a notification into an <a> that runs
// the command on one click, so the extension must neutralise it (src/extension/plain-text.ts).
import fs from 'node:fs';
import path from 'node:path';
import { check } from './checks.mjs';
import { joinPeer, startRelay } from './cli.mjs';

const HOSTILE = '[Shared doc](command:workbench.action.terminal.new)';

/** @param {{ page: import('playwright-core').Page, step: Function, server: any, workbench: typeof import('../harness/workbench.mjs') }} t */
export default async function notificationLinks({ page, step, server, workbench: wb }) {
  const settingsFile = path.join(server.userDataDir, 'User', 'settings.json');
  const original = fs.readFileSync(settingsFile, 'utf8');
  const relay = await startRelay();
  let mallory;
  try {
    await step('with udpChat.notifications "always" (a former value, read as "all") the workbench reloads', async () => {
      // Read at start-up, so the window that joins has it for sure.
      fs.writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(original), 'udpChat.notifications': 'always' }, null, 2) + '\n');
      await page.reload();
      await wb.waitForWorkbench(page);
    });

    await step('alice joins the room a CLI peer is in', async () => {
      mallory = await joinPeer({ relay: relay.address, name: 'mallory' });
      await wb.runCommand(page, 'UDP Chat: Join');
      await wb.answerQuickInput(page, 'alice', { prompt: 'Your name in the room' });
      await wb.answerQuickInput(page, relay.address, { prompt: 'Relay address' });
      await wb.answerQuickInput(page, '', { prompt: 'Passphrase of room' });
      await wb.webviewText(page, '#connection', 'Connected', { timeoutMs: 20_000 });
      await mallory.waitFor((event) => event.event === 'join' && event.name === 'alice', 'mallory to see alice join');
      // "all" notifies of every message you are not looking at: the chat view goes out of sight.
      await wb.runCommand(page, 'View: Show Explorer');
    });

    await step(`the toast for ${HOSTILE} shows its words and has no link`, async () => {
      // The view's hiding reaches the extension host a moment after the command returns, later on a loaded
      // machine: a message that comes before it was in view, so it counts as read and rightly raises no toast.
      // A message that raised none is sent again, at most twice, once the host has had time to hear.
      let toast;
      for (let attempt = 1; toast === undefined; attempt++) {
        mallory.type(HOSTILE);
        try {
          toast = await wb.waitForNotification(page, 'Shared doc', { timeoutMs: 10_000 });
        } catch (error) {
          if (attempt === 3) throw error;
        }
      }
      const message = toast.locator('.notification-list-item-message');
      const links = await message.locator('a').count();
      check(links === 0, `the toast message has ${links} link(s): ${await message.innerHTML()}`);
      const commandHrefs = await toast.locator('[href^="command:" i]').count();
      check(commandHrefs === 0, `the toast has ${commandHrefs} element(s) with a command: href`);
      // The target is shown as words, not swallowed into a link, and the sender is named.
      const text = (await message.textContent()) ?? '';
      check(text.includes('“mallory”') && text.includes('workbench.action.terminal.new'), `the toast says ${JSON.stringify(text)}`);
    });
  } finally {
    fs.writeFileSync(settingsFile, original);
    await mallory?.stop();
    await relay.stop();
  }
}
