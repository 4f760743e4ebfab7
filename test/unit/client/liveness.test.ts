import assert from 'node:assert/strict';
import { Liveness, relayTimeoutMs, UNKNOWN_SESSION_CONFIRM_MS } from '../../../src/client/liveness';

const T0 = 50_000;
const INTERVAL = 2000;
const TIMEOUT = 3 * INTERVAL;

/** Runs the liveness machine 1 ms at a time from `from` to `until`, sending what it asks; returns what happened. */
function run(liveness: Liveness, from: number, until: number, answered: (now: number) => boolean = () => false) {
  const heartbeats: number[] = [];
  for (let now = from; now <= until; now++) {
    const action = liveness.poll(now);
    if (action.kind === 'reconnect') return { heartbeats, reconnect: { at: now - T0, reason: action.reason } };
    if (action.kind === 'heartbeat') {
      liveness.heartbeatSent(now);
      heartbeats.push(now - T0);
      if (answered(now)) liveness.heard(now);
    }
  }
  return { heartbeats, reconnect: undefined };
}

describe('client/liveness', () => {
  it('sends a heartbeat at once and then every interval while the relay answers', () => {
    const liveness = new Liveness(INTERVAL, TIMEOUT, T0);
    const { heartbeats, reconnect } = run(liveness, T0, T0 + 8000, () => true);
    assert.deepEqual(heartbeats, [0, 2000, 4000, 6000, 8000]);
    assert.equal(reconnect, undefined);
  });

  it('reconnects after exactly three silent intervals, probing four times per interval once one went unanswered', () => {
    const liveness = new Liveness(INTERVAL, TIMEOUT, T0);
    const { heartbeats, reconnect } = run(liveness, T0, T0 + 10_000);
    assert.deepEqual(heartbeats, [0, 2000, 4000, 4500, 5000, 5500]);
    assert.deepEqual(reconnect, { at: TIMEOUT, reason: 'relay-silent' });
  });

  it('takes a stall of the client\'s own off the relay\'s silence, and no more', () => {
    const liveness = new Liveness(INTERVAL, TIMEOUT, T0);
    liveness.excuse(1000, T0 + 1000);
    const { reconnect } = run(liveness, T0 + 1000, T0 + 10_000);
    assert.deepEqual(reconnect, { at: TIMEOUT + 1000, reason: 'relay-silent' });
  });

  it('gives an unsigned unknown-session its full confirmation time after a stall of the client\'s own', () => {
    const liveness = new Liveness(INTERVAL, TIMEOUT, T0);
    assert.equal(liveness.unknownSession(T0 + 10), true);
    liveness.heartbeatSent(T0 + 10);
    // Blocked from T0 + 100 to T0 + 600: the answer that disproves it is still unread.
    liveness.excuse(500, T0 + 600);
    assert.equal(liveness.poll(T0 + 600).kind, 'none');
    assert.deepEqual(liveness.poll(T0 + 10 + UNKNOWN_SESSION_CONFIRM_MS + 499), { kind: 'none' });
    assert.deepEqual(liveness.poll(T0 + 10 + UNKNOWN_SESSION_CONFIRM_MS + 500), { kind: 'reconnect', reason: 'relay-restarted' });
  });

  it('counts silence from the last answer', () => {
    const liveness = new Liveness(INTERVAL, TIMEOUT, T0);
    liveness.heard(T0 + 1234);
    assert.equal(liveness.poll(T0 + 1234 + TIMEOUT - 1).kind, 'heartbeat');
    liveness.heartbeatSent(T0 + 1234 + TIMEOUT - 1);
    assert.equal(liveness.poll(T0 + 1234 + TIMEOUT - 1).kind, 'none');
    assert.deepEqual(liveness.poll(T0 + 1234 + TIMEOUT), { kind: 'reconnect', reason: 'relay-silent' });
  });

  it('asks once after an unsigned "unknown session" and rejoins exactly when no authenticated answer came', () => {
    const liveness = new Liveness(INTERVAL, TIMEOUT, T0);
    liveness.heartbeatSent(T0);
    assert.equal(liveness.unknownSession(T0 + 100), true);
    assert.equal(liveness.unknownSession(T0 + 150), false);
    assert.equal(liveness.nextWakeup(), T0 + 100 + UNKNOWN_SESSION_CONFIRM_MS);
    assert.equal(liveness.poll(T0 + 100 + UNKNOWN_SESSION_CONFIRM_MS - 1).kind, 'none');
    assert.deepEqual(liveness.poll(T0 + 100 + UNKNOWN_SESSION_CONFIRM_MS), { kind: 'reconnect', reason: 'relay-restarted' });
  });

  it('believes the relay over an unsigned "unknown session" once an authenticated datagram arrives', () => {
    const liveness = new Liveness(INTERVAL, TIMEOUT, T0);
    liveness.heartbeatSent(T0);
    liveness.unknownSession(T0 + 100);
    liveness.authenticated();
    liveness.heard(T0 + 101);
    assert.equal(liveness.poll(T0 + 100 + UNKNOWN_SESSION_CONFIRM_MS).kind, 'none');
    assert.equal(liveness.nextWakeup(), T0 + INTERVAL);
  });

  it('says when it next has work: the next heartbeat, or the end of the silence allowed', () => {
    const liveness = new Liveness(INTERVAL, 1500, T0);
    liveness.heartbeatSent(T0);
    assert.equal(liveness.nextWakeup(), T0 + 1500);
    const roomy = new Liveness(INTERVAL, TIMEOUT, T0);
    roomy.heartbeatSent(T0);
    assert.equal(roomy.nextWakeup(), T0 + INTERVAL);
  });

  it('takes the silence allowed from the option, else three heartbeat intervals', () => {
    assert.equal(relayTimeoutMs(2000, undefined), 6000);
    assert.equal(relayTimeoutMs(2000, 750), 750);
  });
});
