import assert from 'node:assert/strict';
import { encodePayload, type MessagePayload } from '../../src/protocol/payload';
import { RoomSalts } from '../../src/protocol/relay-identity';
import { ContentSealer, type RoomKeys } from '../../src/protocol/room-crypto';
import { splitPayload } from '../../src/protocol/fragment';
import { MAX_FRAGMENT_BYTES } from '../../src/protocol/constants';
import { Flag, PacketType } from '../../src/protocol/types';
import { closeAll, joinClient, RELAY_IDENTITY, startRelay } from '../support/chat';
import { collect, nextEvent } from '../support/events';
import { SocketPeer } from '../support/relay-peer';
import { sealedRoomWithMallory } from '../support/sealed-room';

const PASSPHRASE = 'blue whale under the ice';
const ROOM = 'ops';

/** Edits, deletes, reactions and typing between library clients in a sealed room, with a member who forges. */
describe('chat: edits, deletes, reactions and typing in a sealed room', function () {
  // Room keys come from scrypt (~0.5 s, shared per passphrase, room and salt).
  this.timeout(30_000);
  const peers: SocketPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) await peer.close();
    await closeAll();
  });

  /** Alice and bob (real clients) and mallory, who holds the passphrase and speaks the protocol by hand. */
  const room = () => sealedRoomWithMallory(PASSPHRASE, ROOM, peers);

  /** Mallory sends a sealed Text payload of her choosing through her channel. */
  function sendSealed(mallory: SocketPeer, keys: RoomKeys, payload: Extract<MessagePayload, { type: typeof PacketType.Text }>, messageId: bigint): void {
    const sealed = new ContentSealer(keys).seal(PacketType.Text, messageId, encodePayload(payload));
    const chunks = splitPayload(sealed, MAX_FRAGMENT_BYTES);
    chunks.forEach((chunk, fragmentIndex) => {
      const fragment = { type: PacketType.Text, flags: Flag.Reliable | Flag.Encrypted, memberId: 0, messageId, fragmentIndex, fragmentCount: chunks.length, chunk };
      mallory.peer.channel?.send(fragment, chunk.length, 'normal', Date.now());
    });
    mallory.flush();
  }

  it("ignores mallory's sealed, signed edit and delete of alice's message, and counts them", async () => {
    const { alice, bob, mallory, malloryKeys } = await room();
    const shown = nextEvent(bob, 'message', (message) => message.text === 'deploy at 5');
    const id = alice.sendText('deploy at 5');
    await shown;
    const edits = collect(bob, 'edit');
    const deletes = collect(bob, 'delete');
    const target = BigInt(`0x${id}`);
    sendSealed(mallory, malloryKeys, { type: PacketType.Text, sentAt: Date.now(), sender: 'mallory', text: 'deploy cancelled', kind: { kind: 'edit', target } }, 1000n);
    sendSealed(mallory, malloryKeys, { type: PacketType.Text, sentAt: Date.now(), sender: 'mallory', text: '', kind: { kind: 'delete', target } }, 1001n);
    const sentinel = nextEvent(bob, 'message', (message) => message.text === 'sentinel');
    sendSealed(mallory, malloryKeys, { type: PacketType.Text, sentAt: Date.now(), sender: 'mallory', text: 'sentinel' }, 1002n);
    await sentinel;
    assert.deepEqual([edits, deletes], [[], []]);
    assert.equal(bob.ignoredActions.notOwn, 2);
  });

  it("applies alice's own edit with its mentions, then her delete, at bob", async () => {
    const { alice, bob } = await room();
    const shown = nextEvent(bob, 'message', (message) => message.text === 'first draft');
    const id = alice.sendText('first draft');
    await shown;
    const edited = nextEvent(bob, 'edit');
    alice.editMessage(id, 'final, @bob');
    const [edit] = await edited;
    assert.deepEqual({ ...edit, editedAt: 0 }, { id, from: 'alice', fromId: alice.memberId, text: 'final, @bob', editedAt: 0, mentions: ['bob'] });
    const deleted = nextEvent(bob, 'delete');
    alice.deleteMessage(id);
    assert.equal((await deleted)[0].id, id);
    assert.throws(() => alice.editMessage(id, 'again'), { code: 'deleted' });
  });

  it("toggles bob's reaction on alice's message, seen by alice as on then off", async () => {
    const { alice, bob } = await room();
    const shown = nextEvent(bob, 'message', (message) => message.text === 'ship it?');
    const id = alice.sendText('ship it?');
    await shown;
    const reactions = collect(alice, 'reaction');
    const second = nextEvent(alice, 'reaction', (reaction) => !reaction.on);
    assert.equal(bob.react(id, '🚀').on, true);
    assert.equal(bob.react(id, '🚀').on, false);
    await second;
    assert.deepEqual(
      reactions.map(([reaction]) => [reaction.id, reaction.from, reaction.emoji, reaction.on]),
      [
        [id, 'bob', '🚀', true],
        [id, 'bob', '🚀', false],
      ],
    );
  });

  it('shows typing from bob at alice, and the text bob sends next arrives as usual', async () => {
    const { alice, bob } = await room();
    const typing = nextEvent(alice, 'typing');
    bob.sendTyping();
    assert.deepEqual((await typing)[0], { from: 'bob', fromId: bob.memberId });
    const next = nextEvent(alice, 'message', (message) => message.text === 'after typing');
    bob.sendText('after typing');
    assert.equal((await next)[0].encrypted, true);
  });

  it('ignores a sealed text of a kind it does not know, without an error, and goes on', async () => {
    const { bob, mallory, malloryKeys } = await room();
    const errors = collect(bob, 'error');
    const dropped = collect(bob, 'incomingDropped');
    sendSealed(mallory, malloryKeys, { type: PacketType.Text, sentAt: Date.now(), sender: 'mallory', text: '', kind: { kind: 'unknown', code: 0x7f } }, 2000n);
    const sentinel = nextEvent(bob, 'message', (message) => message.text === 'sentinel');
    sendSealed(mallory, malloryKeys, { type: PacketType.Text, sentAt: Date.now(), sender: 'mallory', text: 'sentinel' }, 2001n);
    await sentinel;
    assert.deepEqual([errors, dropped], [[], []]);
    assert.equal(bob.ignoredActions.unknownKind, 1);
  });
});
