import assert from 'node:assert/strict';
import type { ReplayMarkScope, ReplayMarkStore } from '../../src/client/types';
import { decodePacket, fragmentOf } from '../../src/protocol/codec';
import { formatMessageId } from '../../src/protocol/ids';
import { RoomSalts } from '../../src/protocol/relay-identity';
import type { ReplayMarks } from '../../src/protocol/replay-marks';
import { ContentSealer, deriveRoomKeys, type RoomKeys } from '../../src/protocol/room-crypto';
import { Flag, PacketType, type MessageFragment } from '../../src/protocol/types';
import { closeAll, joinClient, RELAY_IDENTITY, startRelay } from '../support/chat';
import { collect, nextEvent } from '../support/events';
import { SocketPeer } from '../support/relay-peer';

const PASSPHRASE = 'blue whale under the ice';
const ROOM = 'ops';

/** What survives a restart: a store the old and the new client share, as one disk. */
class SharedStore implements ReplayMarkStore {
  readonly #marks = new Map<string, ReplayMarks>();
  saves = 0;
  async load(scope: ReplayMarkScope): Promise<ReplayMarks | undefined> {
    return this.#marks.get(`${scope.relay}/${scope.room}`);
  }
  async save(scope: ReplayMarkScope, marks: ReplayMarks): Promise<void> {
    this.saves++;
    this.#marks.set(`${scope.relay}/${scope.room}`, Uint8Array.from(marks));
  }
}

/** Seals nothing: hands out the recorded sealed bytes again, as a relay replaying them would. */
class Replaying extends ContentSealer {
  constructor(
    keys: RoomKeys,
    readonly recorded: Uint8Array,
  ) {
    super(keys);
  }
  override seal(): Uint8Array {
    return this.recorded;
  }
}

/** The sealed text fragment among datagrams `peer` sent (the relay receives exactly these). */
function sealedTextIn(datagrams: readonly Uint8Array[]): MessageFragment {
  for (const datagram of datagrams) {
    const decoded = decodePacket(datagram);
    if (!decoded.ok || decoded.value.type !== PacketType.Text) continue;
    const fragment = fragmentOf(decoded.value);
    if ((fragment.flags & Flag.Encrypted) !== 0) return fragment;
  }
  throw new Error('no sealed text among the datagrams');
}

describe('security: a relay replaying old sealed messages to a restarted client', function () {
  // Room keys come from scrypt (~100 ms each).
  this.timeout(30_000);
  const peers: SocketPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) await peer.close();
    await closeAll();
  });

  it("a restarted client refuses the relay's replay of a sealed message it had accepted before the restart", async () => {
    // Alice, speaking by hand, sends no heartbeats of her own: the relay must not time her out meanwhile.
    const relay = await startRelay({ limits: { memberTimeoutMs: 60_000 } });
    const disk = new SharedStore();
    const options = { passphrase: PASSPHRASE, room: ROOM, replayMarks: disk };
    const bobBefore = await joinClient(relay, 'bob', options);
    // Alice speaks the protocol by hand, so the test holds her sealed datagram and her member key.
    const aliceKeys = await deriveRoomKeys(PASSPHRASE, ROOM, new RoomSalts(RELAY_IDENTITY).of(ROOM));
    const alice = await SocketPeer.open('alice', relay.address.port, () => Date.now(), aliceKeys, ROOM);
    peers.push(alice);
    const bobSeesAlice = nextEvent(bobBefore, 'memberJoined', (member) => member.name === 'alice');
    await alice.join();
    await bobSeesAlice;
    const sealer = new ContentSealer(aliceKeys);
    const accepted = nextEvent(bobBefore, 'message', (message) => message.text === 'pay carol 10');
    alice.peer.sendText('pay carol 10', Date.now(), { sealer });
    // Recorded as the relay receives it: alice's sealed text, its message id and her signature.
    const recorded = sealedTextIn(alice.peer.outbox);
    alice.flush();
    await accepted;
    await bobBefore.leave();
    assert.ok(disk.saves >= 1, 'the first run saved its marks on leaving');

    // The restart: a new client process with the same disk, in the same room, where alice still is.
    const bobAfter = await joinClient(relay, 'bob', options);
    assert.deepEqual(bobAfter.members.map((member) => member.name), ['alice', 'bob']);
    const messages = collect(bobAfter, 'message');
    const drops = collect(bobAfter, 'incomingDropped');
    // The relay replays the recorded message: alice's sealed bytes under her message id, from her member id
    // with her announced key — here pushed through her session, the path the relay forwards on.
    alice.peer.sendText('(the recorded bytes go instead)', Date.now(), { messageId: recorded.messageId, sealer: new Replaying(aliceKeys, recorded.chunk) });
    alice.flush();
    // Sent after the replay on the same path: had the replay been shown, it would be shown before this.
    const sentinel = nextEvent(bobAfter, 'message', (message) => message.text === 'sentinel');
    alice.peer.sendText('sentinel', Date.now(), { sealer });
    alice.flush();
    await sentinel;
    assert.deepEqual(messages.map(([message]) => `${message.from}: ${message.text}`), ['alice: sentinel']);
    assert.deepEqual(drops.map(([drop]) => [drop.id, drop.reason]), [[formatMessageId(recorded.messageId), 'duplicate']]);
  });
});
