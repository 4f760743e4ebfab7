/**
 * Share Selection in the real extension host, for what the UI suite does not show: its default keybinding is
 * none of VS Code's own, an untitled document goes by its title and a file outside every workspace folder by its
 * name, and a selection over the size limit sends nothing. The relay runs in this test, on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { UdpChat } from '../../../src/extension/controller';
import { Relay } from '../../../src/relay/relay';
import { api, baseline, CliPeer, extension, stopAllPeers, tempDir } from './support';

baseline();

/**
 * The keys VS Code and its built-in extensions bind, as "Open Default Keyboard Shortcuts (JSON)" lists them on this
 * platform (with every extension's, ours among them: those of udpChat commands are left out).
 */
async function defaultKeys(): Promise<Map<string, string[]>> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.parse('vscode://defaultsettings/keybindings.json'));
  const keys = new Map<string, string[]>();
  for (const match of document.getText().matchAll(/\{\s*"key":\s*"([^"]+)",\s*"command":\s*"([^"]+)"/g)) {
    const [, key = '', command = ''] = match;
    if (command.startsWith('udpChat.')) continue;
    keys.set(key.toLowerCase(), [...(keys.get(key.toLowerCase()) ?? []), command]);
  }
  return keys;
}

/** Closes the editor in front without asking to save it (an untitled document of a test). */
async function closeActiveEditor(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

describe('Share Selection', function () {
  let relay: Relay;
  let chat: UdpChat;
  let bob: CliPeer;

  before(async () => {
    chat = (await api()).chat;
    relay = await Relay.start({ host: '127.0.0.1', port: 0 });
    const address = `127.0.0.1:${relay.address.port}`;
    const joined = await vscode.commands.executeCommand<boolean>('udpChat.join', { name: 'alice', relay: address, room: 'general', passphrase: '' });
    assert.equal(joined, true);
    bob = await CliPeer.join({ relay: address, name: 'bob' });
  });

  after(async () => {
    await stopAllPeers();
    await chat?.session.leave();
    await relay?.close();
  });

  /** Shares the whole of `document`'s line `line` (0-based) and returns the snippet event bob prints. */
  async function share(document: vscode.TextDocument, line: number): Promise<Record<string, unknown>> {
    const editor = await vscode.window.showTextDocument(document);
    editor.selection = new vscode.Selection(line, 0, line, document.lineAt(line).text.length);
    const before = bob.events.length;
    const id = await vscode.commands.executeCommand<string | undefined>('udpChat.shareSelection');
    await closeActiveEditor();
    assert.ok(id, 'nothing was sent');
    return bob.waitFor((event) => bob.events.indexOf(event) >= before && event.event === 'snippet' && event.id === id, 'the snippet at bob');
  }

  it('has a default keybinding that VS Code does not bind by default', async () => {
    const contributed = (extension().packageJSON as { contributes: { keybindings: Array<{ command: string; key: string }> } }).contributes.keybindings;
    const ours = contributed.find((binding) => binding.command === 'udpChat.shareSelection');
    assert.ok(ours, 'no keybinding for Share Selection');
    const defaults = await defaultKeys();
    assert.ok(defaults.size > 300, `only ${defaults.size} default keybindings were read`);
    assert.ok(defaults.get('ctrl+shift+p')?.includes('workbench.action.showCommands'), 'the default keybindings do not look like VS Code’s');
    assert.deepEqual(defaults.get(ours.key) ?? [], [], `${ours.key} is bound by default`);
  });

  it('names an untitled document by its title', async () => {
    const document = await vscode.workspace.openTextDocument({ language: 'python', content: 'print("draft")\n' });
    const snippet = await share(document, 0);
    assert.equal(snippet.path, path.posix.basename(document.uri.path));
    assert.match(String(snippet.path), /^Untitled-\d+$/);
    assert.equal(snippet.language, 'python');
    assert.equal(snippet.text, 'print("draft")');
  });

  it('names a file outside every workspace folder by its base name', async () => {
    const file = path.join(tempDir('outside'), 'notes.md');
    fs.writeFileSync(file, '# Notes\nship it\n');
    const snippet = await share(await vscode.workspace.openTextDocument(vscode.Uri.file(file)), 1);
    assert.deepEqual([snippet.path, snippet.startLine, snippet.endLine, snippet.text], ['notes.md', 2, 2, 'ship it']);
  });

  it('sends nothing for a selection over the size limit', async () => {
    const limit = chat.session.client?.maxTextBytes ?? 0;
    assert.ok(limit > 0);
    const document = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'x'.repeat(limit + 1) });
    const editor = await vscode.window.showTextDocument(document);
    editor.selection = new vscode.Selection(0, 0, 0, limit + 1);
    const id = await vscode.commands.executeCommand<string | undefined>('udpChat.shareSelection');
    await closeActiveEditor();
    assert.equal(id, undefined);
    chat.session.sendText('sentinel after the large selection');
    await bob.waitFor((event) => event.event === 'message' && event.text === 'sentinel after the large selection', 'the sentinel at bob');
    assert.ok(!bob.events.some((event) => event.event === 'snippet' && String(event.text).startsWith('xxx')), 'the large selection was sent');
  });
});
