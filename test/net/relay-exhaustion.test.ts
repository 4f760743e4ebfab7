import assert from 'node:assert/strict';
import type { ChatClient } from '../../src/client/client';
import { closeAll, joinClient, startRelay } from '../support/chat';
import { until } from '../support/events';

/**
 * Each relay→member channel gets this many sequence numbers: a member list, a join notice and a handful of texts.
 * The default (about 4.29 billion) would take days of chat to run out.
 */
const SEQUENCE_HIGH_WATER = 8;
const TEXTS = 30;
/** Five or so new sessions, each a few hundred ms; rejoining on silence instead would take 6 s each. */
const TOLD_REJOINS_WITHIN_MS = 5000;

function textsOf(client: ChatClient): string[] {
  const texts: string[] = [];
  client.on('message', (message) => texts.push(message.text));
  return texts;
}

describe('relay: a member channel out of sequence numbers', function () {
  this.timeout(30_000);
  afterEach(closeAll);

  it('starts the member a new session and delivers every text once, in order, without the room seeing a leave', async () => {
    // Slow heartbeats: the client must rejoin because it is told to, not because the relay fell silent (6 s).
    const relay = await startRelay({ reliability: { sequenceHighWater: SEQUENCE_HIGH_WATER }, limits: { heartbeatIntervalMs: 2000, memberTimeoutMs: 10_000 } });
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const received = textsOf(bob);
    const leaves: string[] = [];
    relay.on('leave', (member, reason) => leaves.push(`${member.name}:${reason}`));
    const sent = Array.from({ length: TEXTS }, (_, index) => `line ${index}`);
    for (const text of sent) alice.sendText(text);
    await until(() => received.length >= TEXTS, `bob has all ${TEXTS} texts`, TOLD_REJOINS_WITHIN_MS);
    assert.deepEqual(received, sent);
    assert.ok((relay.counters['session-exhausted'] ?? 0) >= 2, JSON.stringify(relay.counters));
    assert.deepEqual(leaves, []);
    assert.equal(relay.memberCount, 2);
  });
});
