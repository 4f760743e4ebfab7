import assert from 'node:assert/strict';
import { peekType } from '../../../src/protocol/codec';
import { createHopKeyPair, deriveHopKeys } from '../../../src/protocol/hop-auth';
import { ErrorCode, LeaveReason, PacketType } from '../../../src/protocol/types';
import { DEFAULT_RELAY_LIMITS, VALIDATION_TIMEOUT_MS } from '../../../src/relay/limits';
import { CoreNet, WirePeer } from '../../support/relay-peer';

const TIMEOUT_MS = DEFAULT_RELAY_LIMITS.memberTimeoutMs;
const LEGACY_TIMEOUT_MS = DEFAULT_RELAY_LIMITS.legacyTimeoutMs;
const encoder = new TextEncoder();

describe('relay/core', () => {
  describe('eviction after silence', () => {
    it('evicts a member silent for exactly the member timeout, with reason timeout, and not a millisecond before', () => {
      const net = new CoreNet();
      const ann = net.joined('ann');
      net.advanceTo(net.now + 1000);
      ann.heartbeat();
      net.flush();
      const lastHeard = net.now;
      net.core.poll(lastHeard + TIMEOUT_MS - 1);
      assert.equal(net.core.memberCount, 1);
      assert.deepEqual(net.leaves, []);
      net.core.poll(lastHeard + TIMEOUT_MS);
      assert.deepEqual(net.leaves, [{ name: 'ann', reason: 'timeout' }]);
      assert.equal(net.core.memberCount, 0);
    });

    it('takes a stall of its own off every member\'s silence, and no more', () => {
      const net = new CoreNet();
      net.joined('ann');
      const lastHeard = net.now;
      // The relay's timer, due 1 ms after ann was heard, fired 1,500 ms late.
      net.core.excuseStall(1500, lastHeard + 1501);
      net.core.poll(lastHeard + TIMEOUT_MS + 1499);
      assert.deepEqual(net.leaves, []);
      net.core.poll(lastHeard + TIMEOUT_MS + 1500);
      assert.deepEqual(net.leaves, [{ name: 'ann', reason: 'timeout' }]);
    });

    it('arms its timer for the exact moment the quietest member times out', () => {
      const net = new CoreNet();
      const ann = net.joined('ann');
      net.advanceTo(net.now + 1000);
      ann.heartbeat();
      net.flush();
      const lastHeard = net.now;
      assert.equal(net.core.poll(lastHeard + 1), lastHeard + TIMEOUT_MS);
      net.advanceTo(lastHeard + TIMEOUT_MS);
      assert.deepEqual(net.leaves, [{ name: 'ann', reason: 'timeout' }]);
    });

    it('tells the rest of the room that the silent member timed out', () => {
      const net = new CoreNet();
      net.joined('ann');
      const bob = net.joined('bob');
      const start = net.now;
      for (let at = start + 1000; at <= start + TIMEOUT_MS; at += 1000) {
        net.advanceTo(at);
        bob.heartbeat();
        net.flush();
      }
      assert.equal(net.core.memberCount, 1);
      assert.deepEqual(net.leaves, [{ name: 'ann', reason: 'timeout' }]);
      const left = bob.messages.filter((message) => message.type === PacketType.MemberLeft);
      assert.deepEqual(
        left.map((message) => [message.member.name, message.reason]),
        [['ann', LeaveReason.Timeout]],
      );
    });
  });

  describe('joins that never prove their address', () => {
    it('keeps an unvalidated join exactly the validation timeout, then forgets it without announcing it', () => {
      const net = new CoreNet();
      const bob = net.joined('bob');
      const ghost = net.add(new WirePeer('ghost'));
      ghost.join();
      net.flush();
      ghost.outbox.length = 0; // it never answers the Welcome
      const joinedAt = net.now;
      assert.equal(ghost.welcomes.length, 1);
      net.core.poll(joinedAt + VALIDATION_TIMEOUT_MS - 1);
      assert.equal(net.core.memberCount, 2);
      net.core.poll(joinedAt + VALIDATION_TIMEOUT_MS);
      assert.equal(net.core.memberCount, 1);
      assert.equal(net.counters['join-never-validated'], 1);
      assert.deepEqual(net.leaves, []);
      assert.deepEqual(net.joins.map((member) => member.name), ['bob']);
      assert.equal(bob.messages.filter((message) => message.type === PacketType.MemberLeft).length, 0);
    });
  });

  describe('legacy clients', () => {
    it('evicts a silent legacy member after exactly the legacy timeout (10 minutes), not a millisecond before', () => {
      const net = new CoreNet({ acceptLegacy: true });
      net.inject(encoder.encode('old has joined the chat.'), '10.0.0.9', 7000);
      const joinedAt = net.now;
      assert.equal(net.core.memberCount, 1);
      assert.equal(LEGACY_TIMEOUT_MS, 10 * 60_000);
      net.core.poll(joinedAt + LEGACY_TIMEOUT_MS - 1);
      assert.equal(net.core.memberCount, 1);
      net.core.poll(joinedAt + LEGACY_TIMEOUT_MS);
      assert.equal(net.core.memberCount, 0);
      assert.deepEqual(net.leaves, [{ name: 'old', reason: 'timeout' }]);
    });

    it('counts the legacy timeout from the last line the member sent', () => {
      const net = new CoreNet({ acceptLegacy: true });
      net.inject(encoder.encode('old has joined the chat.'), '10.0.0.9', 7000);
      net.now += 60_000;
      net.inject(encoder.encode('old: still here'), '10.0.0.9', 7000);
      const spokeAt = net.now;
      net.core.poll(spokeAt + LEGACY_TIMEOUT_MS - 1);
      assert.equal(net.core.memberCount, 1);
      net.core.poll(spokeAt + LEGACY_TIMEOUT_MS);
      assert.equal(net.core.memberCount, 0);
    });
  });

  describe('rate limits', () => {
    const garbage = encoder.encode('not a datagram of ours');

    it('lets one address without a session send its burst of 100, then drops the rest at that instant', () => {
      const net = new CoreNet();
      for (let i = 0; i < 100; i++) net.inject(garbage, '10.0.0.7', 9000);
      assert.equal(net.counters['drop-not-udpchat'], 100);
      assert.equal(net.counters['drop-rate-limited'], undefined);
      net.inject(garbage, '10.0.0.7', 9000);
      assert.equal(net.counters['drop-rate-limited'], 1);
      // Another address has its own budget.
      net.inject(garbage, '10.0.0.8', 9000);
      assert.equal(net.counters['drop-not-udpchat'], 101);
    });

    it('refills one datagram per 20 ms (50 per second): refused at 19 ms, allowed at 20 ms', () => {
      const net = new CoreNet();
      const start = net.now;
      for (let i = 0; i < 101; i++) net.inject(garbage, '10.0.0.7', 9000);
      assert.equal(net.counters['drop-rate-limited'], 1);
      net.now = start + 19;
      net.inject(garbage, '10.0.0.7', 9000);
      assert.equal(net.counters['drop-rate-limited'], 2);
      net.now = start + 20;
      net.inject(garbage, '10.0.0.7', 9000);
      assert.equal(net.counters['drop-not-udpchat'], 101);
      net.inject(garbage, '10.0.0.7', 9000);
      assert.equal(net.counters['drop-rate-limited'], 3);
    });

    it('answers errors to one address at most 8 at once, then 4 per second', () => {
      const net = new CoreNet();
      const stranger = { host: '10.0.0.5', port: 9100 };
      const orphan = new WirePeer('orphan');
      // A heartbeat naming a session the relay does not know asks for an "unknown session" answer.
      orphan.memberId = 1234;
      // Signed (with keys of a session the relay never had), as a client's is: large enough to be answered at all.
      orphan.keys = deriveHopKeys(createHopKeyPair().privateKey, createHopKeyPair().publicKey, new Uint8Array(8));
      const heartbeat = orphan.heartbeat();
      for (let i = 0; i < 20; i++) net.inject(heartbeat, stranger.host, stranger.port);
      assert.equal(net.unrouted.length, 8);
      net.now += 249;
      net.inject(heartbeat, stranger.host, stranger.port);
      assert.equal(net.unrouted.length, 8);
      net.now += 1;
      net.inject(heartbeat, stranger.host, stranger.port);
      assert.equal(net.unrouted.length, 9);
    });
  });

  describe('its timer', () => {
    it('resends a fragment lost on the way to a member at a deadline it asked for, within a second', () => {
      const net = new CoreNet();
      const ann = net.joined('ann');
      const bob = net.joined('bob');
      let lost = 0;
      net.lose = (datagram, peer) => peer === ann && peekType(datagram) === PacketType.Text && lost++ === 0;
      bob.sendText('hello', net.now);
      net.flush();
      assert.equal(lost, 1);
      assert.deepEqual(ann.texts(), []);
      // Only the deadlines the relay asks for move time on, as its edge's timer does.
      const start = net.now;
      while (ann.texts().length === 0 && net.deadline !== undefined && net.deadline < start + 1000) net.advanceTo(net.deadline);
      assert.deepEqual(ann.texts(), ['hello']);
      assert.ok(net.now - start < 1000, `resent after ${net.now - start} ms`);
    });
  });

  describe('a member that resumes its session', () => {
    it('gives a resuming member what it held out of order on its old session, in order and once', () => {
      const net = new CoreNet();
      const ann = net.joined('ann');
      const bob = net.joined('bob');
      let lost = 0;
      net.lose = (datagram, peer) => {
        if (peer !== ann || peekType(datagram) !== PacketType.Text || lost > 0) return false;
        lost++;
        return true;
      };
      for (const text of ['t1', 't2', 't3']) bob.sendText(text, net.now);
      net.flush();
      assert.equal(lost, 1, 't1 was lost');
      assert.equal(ann.channel?.stats.buffered, 2, 'ann holds t2 and t3 out of order, and said so');
      assert.deepEqual(ann.texts(), []);
      ann.join(); // a resumption before t1 was resent: ann's new channel starts empty
      net.flush();
      ann.heartbeat();
      net.flush();
      assert.deepEqual(ann.texts(), ['t1', 't2', 't3']);
    });
  });

  describe('errors it signs', () => {
    it('answers a heartbeat of a member it knows with a signed heartbeat ack', () => {
      const net = new CoreNet();
      const ann = net.joined('ann');
      const before = ann.heartbeatAcks;
      ann.heartbeat();
      net.flush();
      assert.equal(ann.heartbeatAcks, before + 1);
      assert.deepEqual(ann.errors.filter((error) => error.code === ErrorCode.UnknownSession), []);
    });
  });
});

describe('relay/core: a channel out of sequence numbers', () => {
  /** Seqs 1 (member list) and 2 (bob joined) go to ann first, so two texts fit before the space runs out. */
  const HIGH_WATER = 4;

  function roomOfTwo(): { net: CoreNet; ann: WirePeer; bob: WirePeer } {
    const net = new CoreNet({ reliability: { sequenceHighWater: HIGH_WATER } });
    const ann = net.joined('ann');
    const bob = net.joined('bob');
    return { net, ann, bob };
  }

  function say(net: CoreNet, peer: WirePeer, ...texts: string[]): void {
    for (const text of texts) {
      peer.sendText(text, net.now);
      net.flush();
    }
  }

  it('tells the member, signed, that its session ended instead of dropping what does not fit', () => {
    const { net, ann, bob } = roomOfTwo();
    say(net, bob, 't1', 't2');
    assert.equal(ann.errors.length, 0);
    say(net, bob, 't3');
    const ended = ann.errors.filter((error) => error.code === ErrorCode.UnknownSession);
    assert.equal(ended.length, 2, 'sent twice, as it is not acknowledged');
    assert.ok(ended.every((error) => error.authentic && error.memberId === ann.memberId));
    assert.equal(net.counters['session-exhausted'], 1);
    assert.deepEqual(ann.texts(), ['t1', 't2']);
  });

  it('ends the session only once the member has acknowledged everything the channel held', () => {
    const { net, ann, bob } = roomOfTwo();
    bob.sendText('t1', net.now);
    bob.sendText('t2', net.now);
    bob.sendText('t3', net.now);
    for (const datagram of bob.outbox.splice(0)) net.inject(datagram, bob.host, bob.port);
    assert.equal(net.counters['session-exhausted'], 1);
    assert.equal(ann.errors.length, 0, 't1 and t2 are still unacknowledged');
    net.flush(); // ann's acks reach the relay
    assert.equal(ann.errors.filter((error) => error.code === ErrorCode.UnknownSession && error.authentic).length, 2);
    ann.join();
    net.flush();
    ann.heartbeat();
    net.flush();
    assert.deepEqual(ann.texts(), ['t1', 't2', 't3'], 'each text once: nothing delivered is sent again');
  });

  it('answers nothing on the ended session, so the client stops believing in it', () => {
    const { net, ann, bob } = roomOfTwo();
    say(net, bob, 't1', 't2', 't3');
    const acks = ann.heartbeatAcks;
    ann.heartbeat();
    net.flush();
    assert.equal(ann.heartbeatAcks, acks);
    assert.equal(net.counters['drop-retired-session'], 1);
  });

  it('gives the member everything it missed on the session its next join starts, and the room sees nothing', () => {
    const { net, ann, bob } = roomOfTwo();
    say(net, bob, 't1', 't2', 't3', 't4');
    const oldId = ann.memberId;
    ann.join(); // signed with the ended session's key: a resumption
    net.flush();
    assert.equal(ann.welcomes.length, 2);
    assert.equal(ann.memberId, oldId);
    ann.heartbeat();
    net.flush();
    assert.deepEqual(ann.texts(), ['t1', 't2', 't3', 't4']);
    say(net, bob, 't5');
    assert.deepEqual(ann.texts(), ['t1', 't2', 't3', 't4', 't5']);
    assert.deepEqual(net.leaves, []);
    assert.deepEqual(net.joins.map((member) => member.name), ['ann', 'bob']);
    assert.equal(bob.messages.filter((message) => message.type === PacketType.MemberLeft).length, 0);
  });

  it('evicts an ended session whose member never joins again, after the member timeout', () => {
    const { net, ann, bob } = roomOfTwo();
    say(net, bob, 't1', 't2', 't3');
    const endedAt = net.now;
    for (let at = endedAt + 1000; at < endedAt + TIMEOUT_MS; at += 1000) {
      net.advanceTo(at);
      ann.heartbeat(); // heard, but neither answered nor counted as life
      bob.heartbeat();
      net.flush();
    }
    assert.deepEqual(net.leaves, []);
    net.advanceTo(endedAt + TIMEOUT_MS);
    assert.deepEqual(net.leaves, [{ name: 'ann', reason: 'timeout' }]);
  });
});
