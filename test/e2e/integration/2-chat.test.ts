/**
 * Joining a room with the Join command, text both ways with a `udp-chat join` peer, the chat panel, and images:
 * Send Image on an Explorer file, and an image from the peer. The relay runs in this test, on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as vscode from 'vscode';
import type { UdpChat } from '../../../src/extension/controller';
import type { EntryView } from '../../../src/shared/panel-messages';
import { Relay } from '../../../src/relay/relay';
import { api, baseline, CliPeer, sleep, stopAllPeers, until, workspaceFile } from './support';

baseline();

const JPEG_MAGIC = [0xff, 0xd8, 0xff];

function chatTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.includes('udpChat.chat'));
}

function entries(chat: UdpChat): EntryView[] {
  return chat.session.snapshot().entries;
}

/** The URL the panel loads an image entry from. */
function shownFrom(chat: UdpChat, id: string): string | undefined {
  const entry = entries(chat).find((candidate) => candidate.id === id);
  return entry?.kind === 'image' ? entry.image.src : undefined;
}

function describeEntries(chat: UdpChat): () => string {
  return () => JSON.stringify(entries(chat).map((entry) => (entry.kind === 'image' ? { ...entry, image: '…' } : entry))).slice(-1500);
}

describe('Joining a room and chatting', function () {
  let relay: Relay;
  let address: string;
  let chat: UdpChat;
  let bob: CliPeer;

  before(async () => {
    chat = (await api()).chat;
    relay = await Relay.start({ host: '127.0.0.1', port: 0 });
    address = `127.0.0.1:${relay.address.port}`;
  });

  let peers = 0;
  beforeEach(async () => {
    // a new peer for each test, under a new name: the one before may not have left the relay's list yet
    bob = await CliPeer.join({ relay: address, name: `bob${++peers}` });
  });

  const bobIsHere = (): Promise<void> =>
    until(() => chat.session.snapshot().members.some((member) => member.name === bob.name), `alice sees ${bob.name} in the room`);

  afterEach(async () => {
    await stopAllPeers();
  });

  after(async () => {
    await chat?.session.leave();
    await relay?.close();
  });

  it('Join with arguments joins the relay without prompts, opens the chat view and sees the members', async () => {
    const joined = await vscode.commands.executeCommand<boolean>('udpChat.join', {
      name: 'alice',
      relay: address,
      room: 'general',
      passphrase: '',
    });
    assert.equal(joined, true);
    assert.equal(chat.session.joined, true);
    assert.equal(chat.session.connection, 'connected');
    const state = chat.session.snapshot();
    assert.equal(state.self, 'alice');
    assert.equal(state.room, 'general');
    assert.equal(state.relay, address);
    assert.equal(state.encrypted, false);
    await bobIsHere();
    await bob.waitFor((event) => event.event === 'join' && event.name === 'alice', 'bob to see alice join');
    await until(() => chat.surfaces.view.visible, 'Join opens the chat view', 5_000);
    assert.equal(chatTabs().length, 0, 'Join opened the chat in an editor tab, not in its view');
  });

  it("shows a CLI peer's message in the conversation", async () => {
    await bobIsHere();
    bob.type('hello from the terminal');
    await until(
      () => entries(chat).some((entry) => entry.kind === 'text' && entry.from === bob.name && entry.text === 'hello from the terminal' && !entry.own),
      "bob's message is in the session's conversation",
      10_000,
      describeEntries(chat),
    );
  });

  it('delivers a text sent from the chat session to the CLI peer', async () => {
    await bobIsHere();
    const id = chat.session.sendText('hello from VS Code');
    const received = await bob.waitFor((event) => event.event === 'message' && event.text === 'hello from VS Code', 'bob to get the text');
    assert.equal(received.from, 'alice');
    await until(
      () => entries(chat).some((entry) => entry.id === id && entry.kind === 'text' && entry.own && entry.delivery?.state === 'delivered'),
      'the own message shows as delivered',
      10_000,
      describeEntries(chat),
    );
  });

  it('keeps a single chat panel however often it is opened in the editor', async () => {
    await vscode.commands.executeCommand('udpChat.openChatInEditor');
    await vscode.commands.executeCommand('udpChat.openChatInEditor');
    const first = chat.openChatInEditor();
    const second = chat.openChatInEditor();
    assert.strictEqual(first, second, 'openChat() made a second panel');
    await sleep(500); // a second tab would show up in the tab model by now
    assert.equal(chatTabs().length, 1);
    await until(() => first.visible, 'the chat panel is visible');
  });

  it('Send Image on a workspace file compresses it (to fit 640×480) and the peer receives it', async () => {
    await bobIsHere();
    const uri = workspaceFile('sunset.png'); // 800×600
    const ids = await vscode.commands.executeCommand<string[]>('udpChat.sendImage', uri);
    assert.equal(ids.length, 1, 'sendImage returned no message id');
    const image = await bob.waitFor((event) => event.event === 'image' && event.id === ids[0], 'bob to get the image', 30_000);
    assert.equal(image.from, 'alice');
    assert.ok((image.width as number) <= 640 && (image.height as number) <= 480, `${image.width}×${image.height} is larger than 640×480`);
    assert.equal(image.width, 640);
    assert.equal(image.height, 480);
    const saved = fs.readFileSync(image.file as string);
    assert.deepEqual([...saved.subarray(0, 3)], JPEG_MAGIC, 'the peer did not receive a JPEG');
    assert.equal(saved.length, image.bytes);
    const own = entries(chat).find((entry) => entry.id === ids[0]);
    assert.ok(own && own.kind === 'image' && own.own, 'the sent image is not in the conversation');
    assert.equal(own.image.width, 640);
    // Shown from its saved copy through the webview's resource origin, never as a data: URI.
    await until(() => shownFrom(chat, ids[0] as string) !== undefined, 'the sent image to be shown from its saved copy');
    assert.match(shownFrom(chat, ids[0] as string) ?? '', /^https?:\/\//);
  });

  it('shows an image from the CLI peer in the conversation and saves it', async () => {
    await bobIsHere();
    bob.type(`/image ${workspaceFile('lake.jpg').fsPath}`);
    const sent = await bob.waitFor((event) => event.event === 'sent' && event.kind === 'image', 'bob to send the image', 30_000);
    await until(
      () => entries(chat).some((entry) => entry.id === sent.id && entry.kind === 'image' && entry.from === bob.name),
      "bob's image is in the conversation",
      20_000,
      describeEntries(chat),
    );
    const file = chat.session.imageFile(sent.id as string);
    assert.ok(file && fs.existsSync(file), `the received image was not saved (${file})`);
    assert.deepEqual([...fs.readFileSync(file).subarray(0, 3)], JPEG_MAGIC);
  });
});
