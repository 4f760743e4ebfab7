import assert from 'node:assert/strict';
import { PRESENCE_INTERVAL_MS, PresenceAnnouncer } from '../../../src/client/presence';

describe('client/presence', () => {
  it('has nothing to say until a presence is given, then says it at once', () => {
    const presence = new PresenceAnnouncer();
    presence.again();
    assert.equal(presence.due(0), false);
    assert.equal(presence.nextWakeup(), undefined);
    presence.set('away');
    assert.equal(presence.due(0), true);
  });

  it('says it again when asked (someone joined), but not before the interval since the last one', () => {
    const presence = new PresenceAnnouncer();
    presence.set('active');
    presence.sent(1_000);
    assert.equal(presence.due(1_001), false, 'nothing new');
    presence.again();
    assert.equal(presence.due(1_000 + PRESENCE_INTERVAL_MS - 1), false);
    assert.equal(presence.nextWakeup(), 1_000 + PRESENCE_INTERVAL_MS);
    assert.equal(presence.due(1_000 + PRESENCE_INTERVAL_MS), true);
  });

  it('sends a change, and nothing for the same state given again', () => {
    const presence = new PresenceAnnouncer();
    presence.set('active');
    presence.sent(0);
    presence.set('active');
    assert.equal(presence.due(10_000), false);
    presence.set('away');
    assert.equal(presence.due(10_000), true);
    assert.equal(presence.state, 'away');
  });
});
