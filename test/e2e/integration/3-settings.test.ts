/** The udpChat.* settings as a user sets them (user settings), read when the extension acts on them. */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { UdpChat } from '../../../src/extension/controller';
import { Relay } from '../../../src/relay/relay';
import { api, baseline, CliPeer, setSetting, sleep, stopAllPeers, until, workspaceFile } from './support';

baseline();

describe('Settings', function () {
  let relay: Relay;
  let address: string;
  let chat: UdpChat;

  before(async () => {
    chat = (await api()).chat;
    relay = await Relay.start({ host: '127.0.0.1', port: 0 });
    address = `127.0.0.1:${relay.address.port}`;
  });

  afterEach(async () => {
    await stopAllPeers();
    await chat.session.leave();
    for (const key of ['udpChat.image.maxWidth', 'udpChat.room']) await setSetting(key, undefined);
  });

  after(async () => {
    await relay?.close();
  });

  it('udpChat.image.maxWidth = 320 makes Send Image scale an 800×600 image to 320×240', async () => {
    await setSetting('udpChat.image.maxWidth', 320);
    const carol = await CliPeer.join({ relay: address, name: 'carol' });
    assert.equal(await vscode.commands.executeCommand('udpChat.join', { name: 'alice', relay: address, passphrase: '' }), true);
    await until(() => chat.session.snapshot().members.some((member) => member.name === 'carol'), 'alice sees carol');
    const ids = await vscode.commands.executeCommand<string[]>('udpChat.sendImage', workspaceFile('sunset.png'));
    assert.equal(ids.length, 1);
    const image = await carol.waitFor((event) => event.event === 'image' && event.id === ids[0], 'carol to get the image', 30_000);
    assert.equal(image.width, 320);
    assert.equal(image.height, 240);
  });

  it('udpChat.room is the room Join enters when no room is given, and only that room hears alice', async () => {
    await setSetting('udpChat.room', 'e2e-room');
    const dave = await CliPeer.join({ relay: address, name: 'dave', room: 'e2e-room' });
    const erin = await CliPeer.join({ relay: address, name: 'erin' }); // in the default room, general
    assert.equal(await vscode.commands.executeCommand('udpChat.join', { name: 'alice', relay: address, passphrase: '' }), true);
    const state = chat.session.snapshot();
    assert.equal(state.room, 'e2e-room');
    await dave.waitFor((event) => event.event === 'join' && event.name === 'alice', 'dave (in e2e-room) to see alice join');
    chat.session.sendText('only for e2e-room');
    await dave.waitFor((event) => event.event === 'message' && event.text === 'only for e2e-room', 'dave to get the message');
    await sleep(300);
    assert.deepEqual(
      erin.events.filter((event) => event.event === 'message' || (event.event === 'join' && event.name === 'alice')),
      [],
      'erin, in room general, heard from alice',
    );
  });
});
