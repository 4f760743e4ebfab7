import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { createHopKeyPair, deriveHopKeys } from '../../src/protocol/hop-auth';
import { ImageFormat } from '../../src/protocol/payload';
import { PacketType } from '../../src/protocol/types';
import { LEGACY_AMPLIFICATION_FACTOR } from '../../src/relay/legacy-credit';
import { closeAll, joinClient, startRelay } from '../support/chat';
import { collect, nextEvent, until } from '../support/events';
import { makeImageBytes } from '../support/images';
import { WirePeer } from '../support/relay-peer';

/** A classic plaintext client: one socket, one datagram per line. */
class LegacyPeer {
  readonly received: string[] = [];
  readonly #arrived = new EventEmitter();
  private constructor(
    readonly socket: dgram.Socket,
    readonly relayPort: number,
  ) {
    socket.on('message', this.#socketOnMessage);
  }

  #socketOnMessage = (datagram: Buffer): void => {
    this.received.push(datagram.toString('utf8'));
    this.#arrived.emit('line');
  };

  static async open(relayPort: number): Promise<LegacyPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new LegacyPeer(socket, relayPort);
  }

  send(data: string | Uint8Array): void {
    this.socket.send(data, this.relayPort, '127.0.0.1');
  }

  /** Resolves once `line` has arrived (before or after the call). */
  waitFor(line: string, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!this.received.includes(line)) return;
        clearTimeout(timer);
        this.#arrived.off('line', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#arrived.off('line', check);
        reject(new Error(`legacy peer never got ${JSON.stringify(line)}; got ${JSON.stringify(this.received)}`));
      }, timeoutMs);
      this.#arrived.on('line', check);
      check();
    });
  }

  close(): void {
    this.socket.close();
  }
}

describe('relay legacy mode (classic plaintext clients)', () => {
  const peers: LegacyPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.close();
    await closeAll();
  });

  async function legacyPeer(port: number): Promise<LegacyPeer> {
    const peer = await LegacyPeer.open(port);
    peers.push(peer);
    return peer;
  }

  /** A legacy-mode relay with protocol member alice and a classic client that has joined as `name`. */
  async function roomWithLegacyMember(name: string, relayOptions: Parameters<typeof startRelay>[0] = {}) {
    const relay = await startRelay({ acceptLegacy: true, ...relayOptions });
    const alice = await joinClient(relay, 'alice');
    const legacy = await legacyPeer(relay.address.port);
    const joined = nextEvent(alice, 'memberJoined');
    legacy.send(`${name} has joined the chat.`);
    const [member] = await joined;
    return { relay, alice, legacy, member };
  }

  it('shows a legacy member joining and chatting to protocol members, marked legacy', async () => {
    const { alice, legacy, member } = await roomWithLegacyMember('bob');
    assert.equal(member.name, 'bob');
    assert.equal(member.legacy, true);
    const got = nextEvent(alice, 'message');
    legacy.send('bob: hello from the past');
    const [message] = await got;
    assert.equal(message.text, 'hello from the past');
    assert.equal(message.from, 'bob');
    assert.equal(message.legacy, true);
  });

  it("sends protocol members' texts and image notices to legacy members as plaintext", async () => {
    const { alice, legacy } = await roomWithLegacyMember('bob');
    alice.sendText('hi bob');
    await legacy.waitFor('alice: hi bob');
    alice.sendImage({ data: await makeImageBytes(64, 48, 'image/jpeg'), width: 64, height: 48, format: ImageFormat.Jpeg });
    await legacy.waitFor('alice sent an image.');
  });

  it('forwards a legacy IMG datagram as an image', async () => {
    const { alice, legacy } = await roomWithLegacyMember('bob');
    const jpeg = await makeImageBytes(320, 240, 'image/jpeg', 50);
    const got = nextEvent(alice, 'image');
    legacy.send(Buffer.concat([Buffer.from('IMG:bob:'), jpeg]));
    const [image] = await got;
    assert.equal(image.width, 320);
    assert.equal(image.height, 240);
    assert.ok(Buffer.from(image.data).equals(jpeg));
  });

  it('lets a legacy member called IMG chat', async () => {
    const { alice, legacy } = await roomWithLegacyMember('IMG');
    const got = nextEvent(alice, 'message');
    legacy.send('IMG: not an image');
    const [message] = await got;
    assert.equal(message.from, 'IMG');
    assert.equal(message.text, 'not an image');
  });

  it('announces a legacy leave and refuses a forged leave from another address', async () => {
    const relay = await startRelay({ acceptLegacy: true });
    const alice = await joinClient(relay, 'alice');
    const bob = await legacyPeer(relay.address.port);
    const forger = await legacyPeer(relay.address.port);
    const joined = nextEvent(alice, 'memberJoined');
    bob.send('bob has joined the chat.');
    await joined;
    const leftEvents = collect(alice, 'memberLeft');
    forger.send('bob has left the chat.');
    // Sent after the forgery: had the relay believed it, alice would hear of bob leaving before this.
    const sentinel = nextEvent(alice, 'message');
    bob.send('bob: still here');
    const [message] = await sentinel;
    assert.equal(message.text, 'still here');
    assert.deepEqual(leftEvents, []);
    assert.deepEqual(alice.members.map((member) => member.name).sort(), ['alice', 'bob']);
    const left = nextEvent(alice, 'memberLeft');
    bob.send('bob has left the chat.');
    const [member, reason] = await left;
    assert.equal(member.name, 'bob');
    assert.equal(reason, 'quit');
  });

  it('evicts a silent legacy member', async () => {
    const relay = await startRelay({ acceptLegacy: true, limits: { legacyTimeoutMs: 300 } });
    const alice = await joinClient(relay, 'alice');
    const legacy = await legacyPeer(relay.address.port);
    const joined = nextEvent(alice, 'memberJoined');
    legacy.send('bob has joined the chat.');
    await joined;
    const [member, reason] = await nextEvent(alice, 'memberLeft', undefined, 3000);
    assert.equal(member.name, 'bob');
    assert.equal(reason, 'timeout');
  });

  describe('a spoofed legacy join', () => {
    /** A heartbeat for a session the relay never had, signed (as a client's is) so the relay answers it: a sentinel. */
    function orphanHeartbeat(): Uint8Array {
      const orphan = new WirePeer('orphan');
      orphan.memberId = 1234;
      orphan.keys = deriveHopKeys(createHopKeyPair().privateKey, createHopKeyPair().publicKey, new Uint8Array(8));
      return orphan.heartbeat();
    }

    /** One victim address (127.0.0.x): it sends the join line claiming a name, then only counts what arrives. */
    class Victim {
      received = 0;
      answered = false;
      readonly #socket = dgram.createSocket('udp4');
      constructor(readonly host: string) {
        this.#socket.on('message', this.#socketOnMessage);
      }

      #socketOnMessage = (datagram: Buffer): void => {
        // The sentinel's answer is an Error (magic "UC"); everything before it is what the spoofed join bought.
        if (datagram[0] === 0x55 && datagram[1] === 0x43) this.answered = true;
        else this.received += datagram.length;
      };

      open(): Promise<void> {
        return new Promise((resolve) => this.#socket.bind(0, this.host, resolve));
      }

      send(datagram: Uint8Array, port: number): void {
        this.#socket.send(datagram, port, '127.0.0.1');
      }

      close(): void {
        this.#socket.close();
      }
    }

    it('makes the relay send its address at most three times what it sent, while the room chats (measured)', async function () {
      this.timeout(30_000);
      const relay = await startRelay({ acceptLegacy: true, limits: { heartbeatIntervalMs: 1000, memberTimeoutMs: 10_000 } });
      const alice = await joinClient(relay, 'alice');
      const carol = await joinClient(relay, 'carol');
      const victims = Array.from({ length: 50 }, (_, i) => new Victim(`127.0.0.${i + 2}`));
      await Promise.all(victims.map((victim) => victim.open()));
      let sentToRelay = 0;
      const joined = collect(carol, 'memberJoined');
      victims.forEach((victim, i) => {
        const line = Buffer.from(`victim${i} has joined the chat.`);
        sentToRelay += line.length;
        victim.send(line, relay.address.port);
      });
      await until(() => joined.length === victims.length, 'every spoofed join is a member');
      const texts = collect(carol, 'message');
      for (let i = 0; i < 200; i++) alice.sendText(`a line of ordinary chat, number ${i}, long enough to be a real sentence`);
      await until(() => texts.length === 200, 'the room has said all 200 lines', 20_000);
      // Sent after the room's lines: what the relay sent a victim before answering this has arrived by then.
      const sentinel = orphanHeartbeat();
      for (const victim of victims) victim.send(sentinel, relay.address.port);
      await until(() => victims.every((victim) => victim.answered), 'every victim has its sentinel answered');
      for (const victim of victims) victim.close();
      const received = victims.reduce((sum, victim) => sum + victim.received, 0);
      const factor = received / sentToRelay;
      console.log(`      legacy amplification: ${victims.length} spoofed joins of ${sentToRelay} bytes made the relay send ${received} bytes (factor ${factor.toFixed(2)})`);
      assert.ok(factor <= LEGACY_AMPLIFICATION_FACTOR, `factor ${factor}`);
    });

    it('still gives a legacy member who keeps chatting every line of the room', async () => {
      const { relay, alice, legacy } = await roomWithLegacyMember('bob');
      const heard = collect(alice, 'message');
      for (let i = 0; i < 30; i++) {
        alice.sendText(`question ${i}?`);
        await legacy.waitFor(`alice: question ${i}?`);
        legacy.send(`bob: answer ${i}`);
        await until(() => heard.length === i + 1, `alice hears answer ${i}`);
      }
      assert.equal(relay.counters['drop-legacy-no-credit'] ?? 0, 0);
    });
  });

  it('ignores plaintext when legacy mode is off', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const carolJoined = nextEvent(alice, 'memberJoined');
    const carol = await joinClient(relay, 'carol');
    await carolJoined;
    const joined = collect(alice, 'memberJoined');
    const messages = collect(alice, 'message');
    const legacy = await legacyPeer(relay.address.port);
    const droppedBefore = relay.counters['drop-not-udpchat'] ?? 0;
    legacy.send('bob has joined the chat.');
    legacy.send('bob: anyone?');
    await until(() => (relay.counters['drop-not-udpchat'] ?? 0) - droppedBefore >= 2, 'the relay has read both plaintext datagrams');
    // Sent after the plaintext: a join or text the relay let through would reach alice before this.
    const sentinel = nextEvent(alice, 'message');
    carol.sendText('only protocol members here');
    await sentinel;
    assert.deepEqual(joined, []);
    assert.deepEqual(messages.map(([message]) => message.text), ['only protocol members here']);
    assert.deepEqual(alice.members.map((member) => member.name).sort(), ['alice', 'carol']);
  });
});
