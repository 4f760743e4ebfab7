import assert from 'node:assert/strict';
import { PRESENCE_MIN_INTERVAL_MS, TYPING_MIN_INTERVAL_MS } from '../../../src/relay/typing';
import { PresenceCode } from '../../../src/protocol/types';
import { CoreNet } from '../../support/relay-peer';

describe('relay/typing', () => {
  it("passes a member's Typing to every other member of its room, naming it, and to nobody else", () => {
    const net = new CoreNet();
    const ann = net.joined('ann');
    const bob = net.joined('bob');
    const cy = net.joined('cy');
    const elsewhere = net.joined('dee', 'other');
    ann.typingNotice();
    net.flush();
    assert.deepEqual([ann.typing, bob.typing, cy.typing, elsewhere.typing], [[], [ann.memberId], [ann.memberId], []]);
    assert.equal(net.counters['typing-relayed'], 1);
  });

  it(`passes on at most one Typing per member per ${TYPING_MIN_INTERVAL_MS} ms, and drops the rest, counted`, () => {
    const net = new CoreNet();
    const ann = net.joined('ann');
    const bob = net.joined('bob');
    ann.typingNotice();
    net.flush();
    net.advanceTo(net.now + TYPING_MIN_INTERVAL_MS - 1);
    ann.typingNotice();
    net.flush();
    assert.deepEqual(bob.typing, [ann.memberId]);
    assert.equal(net.counters['drop-typing-too-often'], 1);
    net.advanceTo(net.now + 1);
    ann.typingNotice();
    net.flush();
    assert.deepEqual(bob.typing, [ann.memberId, ann.memberId]);
  });

  it('sends Typing outside the reliable channel: nothing is queued or acknowledged for it', () => {
    const net = new CoreNet();
    const ann = net.joined('ann');
    const bob = net.joined('bob');
    const before = bob.channel?.stats.delivered;
    ann.typingNotice();
    net.flush();
    assert.deepEqual(bob.typing, [ann.memberId]);
    assert.equal(bob.channel?.stats.delivered, before);
  });

  it('ignores a Typing that no session signs', () => {
    const net = new CoreNet();
    const ann = net.joined('ann');
    const bob = net.joined('bob');
    const forged = Uint8Array.from(ann.typingNotice());
    ann.outbox.length = 0;
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
    net.inject(forged, ann.host, ann.port);
    assert.deepEqual(bob.typing, []);
  });
});

describe('relay/typing: presence', () => {
  it("passes a member's Presence, with its state, to every other member of its room and to nobody else", () => {
    const net = new CoreNet();
    const ann = net.joined('ann');
    const bob = net.joined('bob');
    const elsewhere = net.joined('dee', 'other');
    ann.presenceNotice(PresenceCode.Away);
    net.flush();
    assert.deepEqual([ann.presence, bob.presence, elsewhere.presence], [[], [{ memberId: ann.memberId, state: PresenceCode.Away }], []]);
    assert.equal(net.counters['presence-relayed'], 1);
  });

  it(`passes on at most one Presence per member per ${PRESENCE_MIN_INTERVAL_MS} ms, and drops the rest, counted`, () => {
    const net = new CoreNet();
    const ann = net.joined('ann');
    const bob = net.joined('bob');
    ann.presenceNotice(PresenceCode.Away);
    net.flush();
    net.advanceTo(net.now + PRESENCE_MIN_INTERVAL_MS - 1);
    ann.presenceNotice(PresenceCode.Active);
    net.flush();
    assert.equal(net.counters['drop-presence-too-often'], 1);
    net.advanceTo(net.now + 1);
    ann.presenceNotice(PresenceCode.Active);
    net.flush();
    assert.deepEqual(bob.presence.map((notice) => notice.state), [PresenceCode.Away, PresenceCode.Active]);
  });
});
