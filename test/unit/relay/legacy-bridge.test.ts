import assert from 'node:assert/strict';
import { MAX_LEGACY_PER_ADDRESS } from '../../../src/relay/limits';
import { LEGACY_AMPLIFICATION_FACTOR } from '../../../src/relay/legacy-credit';
import { PacketType } from '../../../src/protocol/types';
import { CoreNet } from '../../support/relay-peer';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const line = (text: string): Uint8Array => encoder.encode(text);

/** What the relay sent to `host` (any port), as text. */
function linesTo(net: CoreNet, host: string): string[] {
  return net.unrouted.filter((sent) => sent.host === host).map((sent) => decoder.decode(sent.datagram));
}

function bytesTo(net: CoreNet, hosts: ReadonlySet<string>): number {
  return net.unrouted.filter((sent) => hosts.has(sent.host)).reduce((sum, sent) => sum + sent.datagram.length, 0);
}

describe('relay/legacy-bridge', () => {
  describe('what an unvalidated legacy address can be sent', () => {
    it('sends 50 spoofed legacy joins at most three times the bytes they sent while the room chats', () => {
      const net = new CoreNet({ acceptLegacy: true });
      const alice = net.joined('alice');
      const victims = new Set<string>();
      let sentByVictims = 0;
      for (let i = 0; i < 50; i++) {
        const host = `10.9.${i}.1`;
        victims.add(host);
        const join = line(`victim${i} has joined the chat.`);
        sentByVictims += join.length;
        net.inject(join, host, 5000);
      }
      assert.equal(net.core.rooms().get('general'), 51, 'every spoofed join is a member');
      for (let i = 0; i < 200; i++) {
        alice.sendText(`a line of ordinary chat, number ${i}, long enough to be a real sentence`, net.now);
        net.flush();
      }
      const received = bytesTo(net, victims);
      assert.ok(received <= LEGACY_AMPLIFICATION_FACTOR * sentByVictims, `${received} bytes sent for ${sentByVictims} received`);
      assert.ok((net.counters['drop-legacy-no-credit'] ?? 0) > 0, 'the room said more than the credit allowed');
    });

    it('gives a legacy member that keeps chatting every line of the room', () => {
      const net = new CoreNet({ acceptLegacy: true });
      const alice = net.joined('alice');
      net.inject(line('bob has joined the chat.'), '10.9.0.1', 5000);
      for (let i = 0; i < 100; i++) {
        alice.sendText(`question ${i}?`, net.now);
        net.flush();
        net.inject(line(`bob: answer ${i}`), '10.9.0.1', 5000);
        // A line a second, as people type.
        net.advanceTo(net.now + 1000);
      }
      const seen = linesTo(net, '10.9.0.1');
      assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => `alice: question ${i}?`));
      assert.equal(alice.texts().length, 100);
    });

    it('lets a legacy reader who went quiet catch up on its next line', () => {
      const net = new CoreNet({ acceptLegacy: true });
      const alice = net.joined('alice');
      net.inject(line('bob has joined the chat.'), '10.9.0.1', 5000);
      for (let i = 0; i < 20; i++) {
        alice.sendText(`while bob reads ${i}`, net.now);
        net.flush();
      }
      const beforeTyping = linesTo(net, '10.9.0.1').length;
      assert.ok(beforeTyping < 20, `${beforeTyping} lines reached a reader who sent one line`);
      net.inject(line('bob: back'), '10.9.0.1', 5000);
      alice.sendText('welcome back', net.now);
      net.flush();
      assert.equal(linesTo(net, '10.9.0.1').at(-1), 'alice: welcome back');
    });

    it(`admits at most ${MAX_LEGACY_PER_ADDRESS} legacy members from one IP address, whatever their ports`, () => {
      const net = new CoreNet({ acceptLegacy: true });
      for (let i = 0; i <= MAX_LEGACY_PER_ADDRESS; i++) net.inject(line(`user${i} has joined the chat.`), '10.9.0.1', 5000 + i);
      net.inject(line('other has joined the chat.'), '10.9.0.2', 5000);
      assert.equal(net.core.rooms().get('general'), MAX_LEGACY_PER_ADDRESS + 1);
      assert.equal(net.counters['legacy-refused-per-address'], 1);
    });

    it('refuses a legacy join with no more bytes than its line', () => {
      const net = new CoreNet({ acceptLegacy: true });
      const join = line('x\u200b has joined the chat.');
      net.inject(join, '10.9.0.1', 5000);
      const answers = net.unrouted.filter((sent) => sent.host === '10.9.0.1');
      assert.equal(answers.length, 1);
      assert.ok(decoder.decode(answers[0]?.datagram).startsWith('* cannot join: '));
      assert.ok((answers[0]?.datagram.length ?? 0) <= join.length, `${answers[0]?.datagram.length} bytes answered ${join.length}`);
    });
  });

  it('shows a legacy member a reply as a line, and nothing of a reaction, edit or delete', () => {
    const net = new CoreNet({ acceptLegacy: true });
    const alice = net.joined('alice');
    net.inject(line('bob has joined the chat.'), '10.9.0.1', 5000);
    const base = { type: PacketType.Text, sentAt: 0, sender: 'alice' } as const;
    alice.sendPayload({ ...base, text: 'yes', kind: { kind: 'reply', target: 1n } }, net.now);
    alice.sendPayload({ ...base, text: '', kind: { kind: 'reaction', target: 1n, emoji: '👍', on: true } }, net.now);
    alice.sendPayload({ ...base, text: 'changed', kind: { kind: 'edit', target: 1n } }, net.now);
    alice.sendPayload({ ...base, text: '', kind: { kind: 'delete', target: 1n } }, net.now);
    alice.sendPayload({ ...base, text: 'sentinel' }, net.now);
    net.flush();
    assert.deepEqual(linesTo(net, '10.9.0.1').filter((text) => text.startsWith('alice')), ['alice: yes', 'alice: sentinel']);
  });
});
