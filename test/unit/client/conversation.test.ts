import assert from 'node:assert/strict';
import { Conversation, type ConversationHost } from '../../../src/client/conversation';
import { DEFAULT_ANNOUNCED_LIMITS } from '../../../src/client/limits';
import { fragmentsOf } from '../../../src/client/outbox';
import type { ChatClientEvents } from '../../../src/client/types';
import { encodePayload } from '../../../src/protocol/payload';
import { PacketType, type MessageFragment } from '../../../src/protocol/types';

const T0 = 3000;

/** A host with no channel (the relay is away) that records events; `throwOn` makes that listener throw. */
function host(throwOn?: keyof ChatClientEvents) {
  const events: Array<[string, ...unknown[]]> = [];
  const made: ConversationHost = {
    emit: (event, ...args) => {
      events.push([event, ...args]);
      if (event === throwOn) throw new Error(`a ${event} listener failed`);
    },
    channel: () => undefined,
    connected: () => false,
    memberId: () => 1,
    limits: () => DEFAULT_ANNOUNCED_LIMITS,
    entered: () => {},
    ready: () => {},
  };
  return { made, events };
}

function conversation(throwOn?: keyof ChatClientEvents) {
  const { made, events } = host(throwOn);
  const logged: string[] = [];
  const chat = new Conversation(made, { name: 'alice', room: 'general', incompleteAfterMs: 1000, log: (_level, message) => logged.push(message) }, 1);
  return { chat, events, logged };
}

/** The first `count` fragments of a large text from member 7. */
function partialText(messageId: bigint, count: number): MessageFragment[] {
  const payload = encodePayload({ type: PacketType.Text, sentAt: 1, sender: 'bob', text: 'z'.repeat(5000) });
  return fragmentsOf(PacketType.Text, payload, messageId).slice(0, count).map((fragment) => ({ ...fragment, memberId: 7 }));
}

describe('client/conversation', () => {
  it('keeps going after a listener throws: the events after it are still emitted, and the failure is logged', () => {
    const { chat, events, logged } = conversation('error');
    for (const fragment of [...partialText(1n, 2), ...partialText(2n, 2)]) chat.receive(fragment, T0);
    chat.poll(T0 + 1000);
    const after = events.map(([event]) => event).filter((event) => event === 'error' || event === 'incomingDropped');
    assert.deepEqual(after, ['error', 'incomingDropped', 'error', 'incomingDropped']);
    assert.equal(logged.filter((message) => /listener failed/.test(message)).length, 2);
  });

  it('queues what is sent while no channel is open, and reports it queued', () => {
    const { chat, events } = conversation();
    const id = chat.queue({ type: PacketType.Text, sentAt: 1, sender: 'alice', text: 'later' }, T0);
    assert.deepEqual(events, [['delivery', { id, state: 'queued', progress: 0 }]]);
    assert.deepEqual(chat.pending().map((update) => update.id), [id]);
  });
});
