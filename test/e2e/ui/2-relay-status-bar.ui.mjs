// The relay hosted from the status bar: "Host UDP Chat relay" starts it on udpChat.hostPort (the harness writes a
// free port into the user settings, see test/e2e/config.mjs), the item counts the members, and its actions stop it.
import fs from 'node:fs';
import path from 'node:path';
import { joinPeer } from './cli.mjs';

/** @param {{ page: import('playwright-core').Page, step: Function, server: any, workbench: typeof import('../harness/workbench.mjs') }} t */
export default async function relayStatusBar({ page, step, server, workbench: wb }) {
  const settings = JSON.parse(fs.readFileSync(path.join(server.userDataDir, 'User', 'settings.json'), 'utf8'));
  const port = settings['udpChat.hostPort'];
  if (!Number.isInteger(port)) throw new Error('the UI settings name no udpChat.hostPort');
  let ivy;
  try {
    await step('after activation the status bar offers "Host UDP Chat relay"', async () => {
      await wb.runCommand(page, 'UDP Chat: Open Chat'); // the extension activates on its commands only
      await wb.statusBarItem(page, 'Host UDP Chat relay', { timeoutMs: 20_000 });
    });

    await step(`clicking it hosts the relay on the configured port ${port}`, async () => {
      await (await wb.statusBarItem(page, 'Host UDP Chat relay')).click();
      await wb.statusBarItem(page, `Relay :${port}`);
      await wb.statusBarItem(page, '0 members');
      await wb.waitForNotification(page, 'UDP Chat relay running');
    });

    await step('the item shows "1 member" once a CLI peer joins the hosted relay', async () => {
      ivy = await joinPeer({ relay: `127.0.0.1:${port}`, name: 'ivy' });
      await wb.statusBarItem(page, '1 member');
    });

    await step('Stop Relay from the item’s actions stops it and the peer starts reconnecting', async () => {
      await (await wb.statusBarItem(page, `Relay :${port}`)).click();
      await wb.pickQuickItem(page, 'Stop Relay');
      await wb.statusBarItem(page, 'Host UDP Chat relay');
      await ivy.waitFor((event) => event.event === 'state' && event.state === 'reconnecting', 'ivy to notice the relay stopped');
    });
  } finally {
    await ivy?.stop();
  }
}
