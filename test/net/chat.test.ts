import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { ChatClientError } from '../../src/client/client';
import { assemble, patchSequence } from '../../src/protocol/codec';
import { encodePayload, ImageFormat } from '../../src/protocol/payload';
import { Flag, PacketType } from '../../src/protocol/types';
import { Relay } from '../../src/relay/relay';
import { closeAll, FAST_LIMITS, joinClient, newClient, RELAY_IDENTITY, startRelay } from '../support/chat';
import { collect, nextEvent, sleep, until } from '../support/events';
import { makeImageBytes } from '../support/images';

describe('relay and clients on loopback', () => {
  afterEach(closeAll);

  it('delivers a text to every other member of the room and not back to its sender', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const carol = await joinClient(relay, 'carol');
    const aliceGot = collect(alice, 'message');
    const atBob = nextEvent(bob, 'message');
    const atCarol = nextEvent(carol, 'message');
    const id = alice.sendText('hello, room');
    const [[toBob], [toCarol]] = await Promise.all([atBob, atCarol]);
    assert.equal(toBob.text, 'hello, room');
    assert.equal(toBob.from, 'alice');
    assert.equal(toBob.id, id);
    assert.equal(toCarol.text, 'hello, room');
    // Sent after alice's text reached the room: had the relay echoed it to alice, it would arrive first.
    const sentinel = nextEvent(alice, 'message', (message) => message.text === 'sentinel');
    bob.sendText('sentinel');
    await sentinel;
    assert.deepEqual(aliceGot.map(([message]) => message.text), ['sentinel']);
  });

  it('keeps rooms apart', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice', { room: 'red' });
    const bob = await joinClient(relay, 'bob', { room: 'blue' });
    const carol = await joinClient(relay, 'carol', { room: 'red' });
    const dave = await joinClient(relay, 'dave', { room: 'blue' });
    const bobGot = collect(bob, 'message');
    const atCarol = nextEvent(carol, 'message');
    alice.sendText('red only');
    await atCarol;
    // Sent after the red text was fanned out: had it leaked into blue, bob would get it first.
    const sentinel = nextEvent(bob, 'message', (message) => message.text === 'sentinel');
    dave.sendText('sentinel');
    await sentinel;
    assert.deepEqual(bobGot.map(([message]) => message.text), ['sentinel']);
  });

  it('lists the members present in the ready event', async () => {
    const relay = await startRelay();
    await joinClient(relay, 'alice');
    const bob = newClient(relay, 'bob');
    const info = await bob.connect();
    assert.deepEqual(info.members.map((member) => member.name).sort(), ['alice', 'bob']);
    assert.equal(info.room, 'general');
  });

  it('announces joins and quits to the others', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const joined = nextEvent(alice, 'memberJoined', (member) => member.name === 'bob');
    const bob = await joinClient(relay, 'bob');
    await joined;
    const left = nextEvent(alice, 'memberLeft');
    await bob.leave();
    const [member, reason] = await left;
    assert.equal(member.name, 'bob');
    assert.equal(reason, 'quit');
    assert.equal(relay.memberCount, 1);
  });

  it('evicts a member that falls silent and tells the others it timed out', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const left = nextEvent(alice, 'memberLeft', undefined, FAST_LIMITS.memberTimeoutMs * 5);
    bob.close(); // no Leave: the relay must notice the silence
    const [member, reason] = await left;
    assert.equal(member.name, 'bob');
    assert.equal(reason, 'timeout');
  });

  it('refuses a name already taken in the room, ignoring case', async () => {
    const relay = await startRelay();
    await joinClient(relay, 'alice');
    const impostor = newClient(relay, 'ALICE');
    await assert.rejects(impostor.connect(), (error: ChatClientError) => error.code === 'name-taken' && /taken/.test(error.message));
    assert.equal(impostor.state, 'closed');
  });

  it('sends a text longer than one datagram in fragments and reassembles it', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const long = 'ünïcødé ✓ '.repeat(900);
    const got = nextEvent(bob, 'message');
    alice.sendText(long);
    const [message] = await got;
    assert.equal(message.text, long);
  });

  it('refuses a text over the relay limit before sending it', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    assert.throws(() => alice.sendText('x'.repeat(alice.maxTextBytes + 1)), (error: ChatClientError) => error.code === 'too-large');
  });

  it('delivers an image whose JPEG is over 64 KB intact', async () => {
    // Made first: jimp encodes on this thread, and a long stall would make the clients reconnect meanwhile.
    const jpeg = await makeImageBytes(1600, 1200, 'image/jpeg', 90);
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    assert.ok(jpeg.length > 64 * 1024, `fixture is ${jpeg.length} bytes`);
    const got = nextEvent(bob, 'image', undefined, 10_000);
    const delivered = nextEvent(alice, 'delivery', (update) => update.state === 'delivered', 10_000);
    alice.sendImage({ data: jpeg, width: 1600, height: 1200, format: ImageFormat.Jpeg });
    const [image] = await got;
    await delivered;
    assert.equal(image.width, 1600);
    assert.equal(image.height, 1200);
    assert.ok(Buffer.from(image.data).equals(jpeg), 'image bytes differ');
  });

  it('reports progress while a large image arrives', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const jpeg = await makeImageBytes(1200, 900, 'image/jpeg', 90);
    const progress = collect(bob, 'incoming');
    const got = nextEvent(bob, 'image', undefined, 10_000);
    alice.sendImage({ data: jpeg, width: 1200, height: 900, format: ImageFormat.Jpeg });
    await got;
    assert.ok(progress.length >= 2, `only ${progress.length} progress events`);
    const fractions = progress.map(([update]) => update.receivedFragments / update.totalFragments);
    assert.deepEqual(fractions, [...fractions].sort((a, b) => a - b));
  });

  it('lets the relay refuse an image over its limit and tells the sender', async () => {
    const relay = await startRelay({ limits: { maxImageBytes: 20_000 } });
    const alice = await joinClient(relay, 'alice');
    await joinClient(relay, 'bob');
    const jpeg = await makeImageBytes(400, 300, 'image/jpeg', 95);
    // The client checks the limit too; go around it to see the relay enforce its own.
    Object.defineProperty(alice, 'maxImageBytes', { get: () => 10_000_000 });
    const failed = nextEvent(alice, 'delivery', (update) => update.state === 'failed');
    alice.sendImage({ data: jpeg, width: 400, height: 300, format: ImageFormat.Jpeg });
    const [update] = await failed;
    assert.match(update.reason ?? '', /larger than this relay's limit/);
  });

  it('rejoins by itself after the relay restarts and delivers what was typed meanwhile', async () => {
    const first = await startRelay();
    const port = first.address.port;
    const alice = await joinClient(first, 'alice');
    const bob = await joinClient(first, 'bob');
    const aliceReconnecting = nextEvent(alice, 'state', (state) => state === 'reconnecting', 5000);
    await first.close();
    await aliceReconnecting;
    alice.sendText('typed while the relay was down');
    const second = await Relay.start({ host: '127.0.0.1', port, limits: FAST_LIMITS, identity: RELAY_IDENTITY });
    try {
      const got = nextEvent(bob, 'message', (message) => message.text === 'typed while the relay was down', 5000);
      await until(() => alice.state === 'connected' && bob.state === 'connected', 'both clients are back', 5000);
      const [message] = await got;
      assert.equal(message.from, 'alice');
      assert.equal(second.memberCount, 2);
    } finally {
      await second.close();
    }
  });

  it('starts a new session when its sequence numbers run out, and every message arrives once, in order, with its id', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice', { reliability: { sequenceHighWater: 8 } });
    const bob = await joinClient(relay, 'bob');
    const states = collect(alice, 'state');
    const got = collect(bob, 'message');
    const failed = collect(alice, 'delivery');
    const ids = Array.from({ length: 30 }, (_, i) => alice.sendText(`message ${i}`));
    await until(() => got.length >= 30 && alice.pending().length === 0, 'all 30 messages arrived', 10_000);
    assert.deepEqual(got.map(([message]) => message.text), ids.map((_, i) => `message ${i}`));
    assert.deepEqual(got.map(([message]) => message.id), ids);
    const renewals = states.filter(([state, , reason]) => state === 'reconnecting' && reason === 'new-session').length;
    assert.ok(renewals >= 3, `${renewals} new sessions for 30 messages in 8 sequence numbers each`);
    assert.deepEqual(failed.filter(([update]) => update.state === 'failed'), []);
    assert.equal(relay.memberCount, 2, 'a new session takes the old one over: bob saw nobody leave');
  });

  it('starts a new session when the relay ends one whose sequence numbers ran out, and misses nothing', async () => {
    const relay = await startRelay({ reliability: { sequenceHighWater: 8 } });
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const states = collect(bob, 'state');
    const got = collect(bob, 'message');
    const ids = Array.from({ length: 30 }, (_, i) => alice.sendText(`message ${i}`));
    await until(() => got.length >= 30, 'all 30 messages arrived', 10_000);
    assert.deepEqual(got.map(([message]) => message.id), ids);
    const renewals = states.filter(([state, , reason]) => state === 'reconnecting' && reason === 'new-session').length;
    assert.ok(renewals >= 3, `${renewals} new sessions for 30 messages in 8 sequence numbers each`);
    assert.equal(bob.state, 'connected');
  });

  it('ignores a well-formed message sent to a client from anywhere but the relay', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const bobGot = collect(bob, 'message');
    const forged = encodePayload({ type: PacketType.Text, sentAt: Date.now(), sender: 'alice', text: 'forged' });
    const datagram = assemble(
      { type: PacketType.Text, flags: Flag.Reliable, memberId: alice.memberId, seq: 1, messageId: 42n, fragmentIndex: 0, fragmentCount: 1 },
      forged,
    );
    const spoofer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => spoofer.bind(0, '127.0.0.1', resolve));
    const sends: Array<Promise<void>> = [];
    for (let seq = 1; seq <= 20; seq++) {
      const copy = datagram.slice();
      patchSequence(copy, seq);
      sends.push(new Promise((resolve) => spoofer.send(copy, bob.localPort, '127.0.0.1', () => resolve())));
    }
    // Every forgery is in bob's receive queue before the genuine text leaves alice: it is the sentinel.
    await Promise.all(sends);
    spoofer.close();
    const genuine = nextEvent(bob, 'message', (message) => message.text === 'genuine');
    alice.sendText('genuine');
    await genuine;
    assert.deepEqual(bobGot.map(([message]) => message.text), ['genuine']);
  });

  it('keeps chatting while the relay and a client are sprayed with garbage', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const sprayer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sprayer.bind(0, '127.0.0.1', resolve));
    const genuine = assemble(
      { type: PacketType.Heartbeat, flags: 0, memberId: alice.memberId, seq: 0, messageId: 0n, fragmentIndex: 0, fragmentCount: 0 },
      new Uint8Array(4),
    );
    let seed = 1;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = new Uint8Array(random() % 1300);
        for (let j = 0; j < bytes.length; j++) bytes[j] = random() & 0xff;
        if (i % 4 === 0 && bytes.length >= 2) bytes.set([0x55, 0x43, 1]);
      } else {
        bytes = genuine.slice();
        bytes[random() % bytes.length] = random() & 0xff;
      }
      sprayer.send(bytes, relay.address.port, '127.0.0.1');
      sprayer.send(bytes, bob.localPort, '127.0.0.1');
      if (i % 200 === 0) await sleep(1);
    }
    const got = nextEvent(bob, 'message');
    alice.sendText('still here');
    const [message] = await got;
    sprayer.close();
    assert.equal(message.text, 'still here');
    assert.ok((relay.counters['datagrams-in'] ?? 0) >= 2000);
    assert.equal(relay.counters['internal-error'] ?? 0, 0);
  });
});
