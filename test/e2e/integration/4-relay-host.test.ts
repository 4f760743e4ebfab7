/** Hosting the relay inside the extension host (Host Relay / Stop Relay), on the port the settings name. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import * as vscode from 'vscode';
import type { UdpChat } from '../../../src/extension/controller';
import { api, baseline, CliPeer, countOf, freeUdpPort, setSetting, sleep, stopAllPeers, until } from './support';

baseline();

/** Whether a UDP socket can bind 127.0.0.1:port now (nothing holds it). */
async function canBind(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

describe('Hosting a relay', function () {
  let chat: UdpChat;
  let port: number;

  before(async () => {
    chat = (await api()).chat;
  });

  beforeEach(async () => {
    port = await freeUdpPort();
    await setSetting('udpChat.hostPort', port);
    await setSetting('udpChat.hostAddress', '127.0.0.1');
  });

  afterEach(async () => {
    await stopAllPeers();
    await vscode.commands.executeCommand('udpChat.stopRelay');
    await setSetting('udpChat.hostPort', undefined);
    await setSetting('udpChat.hostAddress', undefined);
  });

  it('Host Relay listens on udpChat.hostPort and a CLI peer can join it', async () => {
    const before = chat.relayHost.current;
    assert.equal(before, undefined, 'a relay was already hosted');
    assert.equal(await vscode.commands.executeCommand('udpChat.hostRelay'), true);
    const hosted = chat.relayHost.current;
    assert.ok(hosted, 'no relay is hosted after Host Relay');
    assert.equal(hosted.port, port);
    assert.equal(hosted.bindAddress, '127.0.0.1');
    assert.equal(hosted.members, 0);
    assert.equal(chat.relayHost.shareableAddress(), `127.0.0.1:${port}`);
    const frank = await CliPeer.join({ relay: `127.0.0.1:${port}`, name: 'frank' });
    await until(() => chat.relayHost.current?.members === 1, 'the hosted relay counts frank');
    frank.type('anyone here?');
    await frank.waitFor((event) => event.event === 'delivery' && event.state === 'delivered', 'the relay to acknowledge frank’s message');
  });

  it('Stop Relay stops listening and the relay’s members start reconnecting', async () => {
    assert.equal(await vscode.commands.executeCommand('udpChat.hostRelay'), true);
    const grace = await CliPeer.join({ relay: `127.0.0.1:${port}`, name: 'grace' });
    await until(() => chat.relayHost.current?.members === 1, 'the hosted relay counts grace');
    await vscode.commands.executeCommand('udpChat.stopRelay');
    assert.equal(chat.relayHost.current, undefined);
    await grace.waitFor((event) => event.event === 'state' && event.state === 'reconnecting', 'grace to start reconnecting');
    assert.equal(await canBind(port), true, `port ${port} is still held after Stop Relay`);
  });

  it('Host Relay on a port already in use reports it, hosts nothing and leaves no socket open', async () => {
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(port, '127.0.0.1', () => resolve()));
    try {
      const sockets = countOf(process.getActiveResourcesInfo(), 'UDPWrap');
      assert.equal(await vscode.commands.executeCommand('udpChat.hostRelay'), false);
      assert.equal(chat.relayHost.current, undefined);
      await sleep(100);
      assert.equal(countOf(process.getActiveResourcesInfo(), 'UDPWrap'), sockets, 'the socket of the failed relay is still open');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
