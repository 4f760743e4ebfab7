/**
 * The local history after VS Code closed and opened again on the same user data (runIntegration.mjs runs this
 * file in a second VS Code): joining the room shows its conversation at once while no relay answers, and when the
 * relay is back, what was said meanwhile arrives, once.
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

describe('Local history, after VS Code opened again', function () {
  // the first test includes activating the extension and starting its history worker on a busy machine
  this.timeout(60_000);
  let relay: Relay | undefined;
  let state: ReopenState;
  let joining: Thenable<boolean> | undefined;

  before(() => {
    state = JSON.parse(fs.readFileSync(reopenStateFile(), 'utf8')) as ReopenState;
  });

  after(async () => {
    await stopAllPeers();
    const { chat } = await api();
    await chat.session.leave();
    await relay?.close();
  });

  it('shows the room\u2019s conversation while the relay is still stopped', async () => {
    const { chat } = await api();
    const address = `127.0.0.1:${state.relayPort}`;
    // nothing listens at the relay's address: the join keeps trying while the panel shows the local history
    joining = vscode.commands.executeCommand<boolean>('udpChat.join', { name: 'halice', relay: address, room: HISTORY_ROOM, passphrase: '' });
    await until(
      () => texts(chat.session.snapshot().entries).includes('alice before'),
      'the conversation shows from the local history',
      40_000,
      () => JSON.stringify(chat.session.snapshot().entries).slice(-1000),
    );
    const snapshot = chat.session.snapshot();
    assert.deepEqual(texts(snapshot.entries), ['before one', 'before two', 'alice before']);
    assert.equal(snapshot.room, HISTORY_ROOM);
    assert.notEqual(snapshot.connection, 'connected');
    const own = snapshot.entries.find((entry) => entry.kind === 'text' && entry.text === 'alice before');
    assert.ok(own?.kind === 'text' && own.own && own.from === 'halice');
  });

  it('catches up on what was said while it was closed, once, when the relay is back', async () => {
    const { chat } = await api();
    // the same relay as before VS Code closed: its identity (pinned by the extension) and its history
    const { identity } = await loadRelayIdentity(path.join(state.relayDir, 'identity.key'));
    relay = await Relay.start({
      host: '127.0.0.1',
      port: state.relayPort,
      identity,
      history: { store: openSqliteHistoryStore(path.join(state.relayDir, 'relay-history.sqlite')) },
    });
    assert.equal(await joining, true);
    await until(() => texts(chat.session.snapshot().entries).includes('while away two'), 'the catch-up arrives', 15_000);
    const bob = await CliPeer.join({ relay: `127.0.0.1:${state.relayPort}`, name: 'hbob', room: HISTORY_ROOM });
    bob.type('sentinel');
    await until(() => texts(chat.session.snapshot().entries).includes('sentinel'), 'the sentinel arrives', 15_000);
    assert.deepEqual(texts(chat.session.snapshot().entries), ['before one', 'before two', 'alice before', 'while away one', 'while away two', 'sentinel']);
  });
});
