/**
 * The local history, before VS Code closes: a room with a relay that keeps history, a conversation shown, then
 * messages sent after alice left. 5-history.reopen.test.ts runs in the VS Code opened again on the same user data
 * (runIntegration.mjs), and finds what is left here: the relay's history file and where its relay listened.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { openSqliteHistoryStore } from '../../../src/history/sqlite-store';
import { loadRelayIdentity } from '../../../src/relay/identity-file';
import { Relay } from '../../../src/relay/relay';
import type { EntryView } from '../../../src/shared/panel-messages';
import { api, baseline, CliPeer, stopAllPeers, until } from './support';
import { HISTORY_ROOM, reopenStateFile, type ReopenState } from './history-support';

baseline();

const texts = (entries: readonly EntryView[]): string[] => entries.flatMap((entry) => (entry.kind === 'text' ? [entry.text] : []));

describe('Local history, before VS Code closes', function () {
  let relay: Relay | undefined;

  after(async () => {
    await stopAllPeers();
    await relay?.close();
  });

  it('shows the conversation, then alice leaves and bob goes on, all of it in the relay\u2019s history', async () => {
    const { chat } = await api();
    const relayDir = path.join(path.dirname(reopenStateFile()), 'history-relay');
    const { identity } = await loadRelayIdentity(path.join(relayDir, 'identity.key'));
    relay = await Relay.start({ host: '127.0.0.1', port: 0, identity, history: { store: openSqliteHistoryStore(path.join(relayDir, 'relay-history.sqlite')) } });
    const address = `127.0.0.1:${relay.address.port}`;
    const bob = await CliPeer.join({ relay: address, name: 'hbob', room: HISTORY_ROOM });
    assert.equal(await vscode.commands.executeCommand('udpChat.join', { name: 'halice', relay: address, room: HISTORY_ROOM, passphrase: '' }), true);
    await bob.waitFor((event) => event.event === 'join' && event.name === 'halice', 'bob to see alice join');
    bob.type('before one');
    bob.type('before two');
    await until(() => texts(chat.session.snapshot().entries).includes('before two'), 'alice sees what bob said');
    chat.session.sendText('alice before');
    await bob.waitFor((event) => event.event === 'message' && event.text === 'alice before', 'bob to get alice\u2019s text');
    assert.deepEqual(texts(chat.session.snapshot().entries), ['before one', 'before two', 'alice before']);

    await chat.session.leave();
    bob.type('while away one');
    bob.type('while away two');
    for (const text of ['while away one', 'while away two']) {
      const sent = await bob.waitFor((event) => event.event === 'sent' && event.text === text, `bob to send "${text}"`);
      await bob.waitFor((event) => event.event === 'delivery' && event.id === sent.id && event.state === 'delivered', `"${text}" to be delivered`);
    }
    await bob.stop();
    await relay.close();
    relay = undefined;
    const state: ReopenState = { relayPort: Number(address.split(':')[1]), relayDir };
    fs.writeFileSync(reopenStateFile(), JSON.stringify(state));
  });
});
