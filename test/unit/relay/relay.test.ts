import assert from 'node:assert/strict';
import { decodePacket } from '../../../src/protocol/codec';
import { verifyDatagram } from '../../../src/protocol/hop-auth';
import { ErrorCode, PacketType } from '../../../src/protocol/types';
import { Relay } from '../../../src/relay/relay';
import { createFakeClock, type FakeClock } from '../../support/fake-clock';
import { SocketPeer } from '../../support/relay-peer';

const TIMEOUT_MS = 10_000;

describe('relay/relay (the socket edge, on a fake clock)', () => {
  let clock: FakeClock;
  let relay: Relay;
  const peers: SocketPeer[] = [];

  async function peer(name: string): Promise<SocketPeer> {
    const opened = await SocketPeer.open(name, relay.address.port, () => clock.now());
    peers.push(opened);
    return opened;
  }

  beforeEach(async () => {
    clock = createFakeClock();
    relay = await Relay.start({ host: '127.0.0.1', port: 0, clock, limits: { memberTimeoutMs: TIMEOUT_MS } });
  });

  afterEach(async () => {
    await relay.close();
    await Promise.all(peers.splice(0).map((opened) => opened.close()));
  });

  it('evicts a member silent for exactly the member timeout on its clock, with reason timeout, not a ms before', async () => {
    const ann = await peer('ann');
    await ann.join();
    const leaves: string[] = [];
    relay.on('leave', (member, reason) => leaves.push(`${member.name}:${reason}`));
    clock.tick(TIMEOUT_MS - 1);
    assert.equal(relay.memberCount, 1);
    assert.deepEqual(leaves, []);
    clock.tick(1);
    assert.deepEqual(leaves, ['ann:timeout']);
    assert.equal(relay.memberCount, 0);
  });

  it('counts silence from the last datagram it received, read from its clock', async () => {
    const ann = await peer('ann');
    await ann.join();
    clock.tick(4000);
    await ann.heartbeat();
    const leaves: string[] = [];
    relay.on('leave', (member, reason) => leaves.push(`${member.name}:${reason}`));
    clock.tick(TIMEOUT_MS - 1);
    assert.deepEqual(leaves, []);
    clock.tick(1);
    assert.deepEqual(leaves, ['ann:timeout']);
  });

  it('does not count a stall of its own as silence: a member heard just before it survives, and times out a full timeout later', async () => {
    const ann = await peer('ann');
    await ann.join();
    clock.tick(4000);
    await ann.heartbeat(); // ann's silence is counted from here
    // A join that never proves its address arms the relay's timer for 5 s from now, inside ann's timeout.
    const ghost = await peer('ghost');
    ghost.peer.join();
    ghost.flush();
    await ghost.until(() => ghost.peer.keys !== undefined, 'the ghost is welcomed');
    const leaves: string[] = [];
    relay.on('leave', (member, reason) => leaves.push(`${member.name}:${reason}`));
    // The process is blocked from the ghost's deadline on: the timer fires once, 5 s late, at ann's timeout.
    clock.tick(4999);
    clock.jump(TIMEOUT_MS - 4999);
    assert.equal(relay.counters['stall-excused'], 1);
    assert.equal(relay.counters['join-never-validated'], 1);
    await ann.heartbeat(); // what ann sent meanwhile, read once the loop runs again
    assert.deepEqual(leaves, []);
    clock.tick(TIMEOUT_MS - 1);
    assert.deepEqual(leaves, []);
    clock.tick(1);
    assert.deepEqual(leaves, ['ann:timeout']);
  });

  it('forgets a join that never proves its address after exactly 5 s on its clock', async () => {
    const ghost = await peer('ghost');
    ghost.peer.join();
    ghost.flush();
    await ghost.until(() => ghost.peer.keys !== undefined, 'the ghost is welcomed');
    assert.equal(relay.memberCount, 1);
    clock.tick(4999);
    assert.equal(relay.memberCount, 1);
    clock.tick(1);
    assert.equal(relay.memberCount, 0);
    assert.equal(relay.counters['join-never-validated'], 1);
  });

  it('sends each member an authenticated ShuttingDown, twice, when it is closed', async () => {
    const ann = await peer('ann');
    const bob = await peer('bob');
    await ann.join();
    await bob.join();
    const seen = (who: SocketPeer): number => who.peer.errors.filter((error) => error.code === ErrorCode.ShuttingDown).length;
    const closed = relay.close();
    await Promise.all([ann, bob].map((who) => who.until(() => seen(who) === 2, `${who.peer.name} is told twice`)));
    await closed;
    for (const who of [ann, bob]) {
      const goodbyes = who.datagrams.filter((datagram) => {
        const decoded = decodePacket(datagram);
        return decoded.ok && decoded.value.type === PacketType.Error && decoded.value.body.code === ErrorCode.ShuttingDown;
      });
      assert.equal(goodbyes.length, 2);
      for (const goodbye of goodbyes) {
        const decoded = decodePacket(goodbye);
        assert.ok(decoded.ok && decoded.value.type === PacketType.Error);
        assert.equal(decoded.value.memberId, who.peer.memberId);
        assert.ok(who.peer.keys && verifyDatagram(goodbye, who.peer.keys.downstream), 'signed with the session key');
        assert.ok(decoded.value.body.message.includes('shutting down'));
      }
    }
  });
});
