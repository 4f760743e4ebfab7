import assert from 'node:assert/strict';
import { closeAll, joinClient, newClient, startRelay } from '../support/chat';
import { nextEvent } from '../support/events';

describe('chat: presence between real clients', function () {
  this.timeout(20_000);
  afterEach(() => closeAll());

  it('tells the room when a member goes away and comes back', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const away = nextEvent(bob, 'presence', (presence) => presence.state === 'away');
    alice.setPresence('away');
    assert.deepEqual((await away)[0], { from: 'alice', fromId: alice.memberId, state: 'away' });
    const back = nextEvent(bob, 'presence', (presence) => presence.state === 'active');
    alice.setPresence('active');
    assert.deepEqual((await back)[0], { from: 'alice', fromId: alice.memberId, state: 'active' });
  });

  it('tells a member who joins later what the others said', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    alice.setPresence('away');
    const carol = newClient(relay, 'carol');
    // Listening before the join: alice answers carol's arrival at once.
    const heard = nextEvent(carol, 'presence', (event) => event.from === 'alice');
    await carol.connect();
    assert.equal((await heard)[0].state, 'away');
  });
});
