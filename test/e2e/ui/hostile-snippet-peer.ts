// A member who speaks the protocol by hand (test/support/relay-peer.ts), for the UI suite: it joins the open room
// `general` of the relay on 127.0.0.1:PORT, sends a snippet whose path no client would send (`SNIPPET_PATH`, e.g.
// `../../etc/passwd`, written to the wire unchecked), then the text SENTINEL, prints `{"event":"sent"}` once the
// relay has acknowledged both, and exits. Run with: node --import tsx hostile-snippet-peer.ts PORT SNIPPET_PATH SENTINEL
import { PacketType } from '../../../src/protocol/types';
import { SocketPeer } from '../../support/relay-peer';

const [portText = '', snippetPath = '', sentinel = ''] = process.argv.slice(2);
if (!portText || !snippetPath || !sentinel) throw new Error('usage: hostile-snippet-peer.ts PORT SNIPPET_PATH SENTINEL');
const now = (): number => Date.now();

async function main(): Promise<void> {
  const mallory = await SocketPeer.open('mallory', Number(portText), now);
  try {
    await mallory.join();
    const meta = { path: snippetPath, startLine: 1, endLine: 2, language: 'plaintext' };
    mallory.peer.sendPayload({ type: PacketType.Text, sentAt: now(), sender: 'mallory', text: 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin', kind: { kind: 'snippet', meta } }, now());
    mallory.flush();
    mallory.peer.sendText(sentinel, now());
    mallory.flush();
    await mallory.until(() => mallory.peer.channel?.idle === true, 'the relay to acknowledge both', 10_000);
    console.log(JSON.stringify({ event: 'sent' }));
  } finally {
    await mallory.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
