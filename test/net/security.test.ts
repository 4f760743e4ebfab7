import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClientError } from '../../src/client/client';
import { saveReceivedImage } from '../../src/files/save-image';
import { assemble, controlHeader, encodeControl } from '../../src/protocol/codec';
import { createHopKeyPair, deriveHopKeys } from '../../src/protocol/hop-auth';
import { decodeOlderError } from '../../src/protocol/older-version';
import { encodePayload, ImageFormat } from '../../src/protocol/payload';
import { ErrorCode, Flag, LeaveReason, PacketType } from '../../src/protocol/types';
import { ERROR_REPLY_BURST } from '../../src/relay/limits';
import { closeAll, joinClient, newClient, RELAY_IDENTITY, startRelay } from '../support/chat';
import { collect, nextEvent, sleep, until } from '../support/events';
import { makeImageBytes } from '../support/images';
import { LossyProxy } from '../support/lossy-proxy';
import { RoomSalts } from '../../src/protocol/relay-identity';
import { ContentSealer, withFreshMemberKey } from '../../src/protocol/room-crypto';
import { SocketPeer, WirePeer } from '../support/relay-peer';
import { sealedRoomWithMallory } from '../support/sealed-room';
import { testRoomKeys } from '../support/room-keys';
import { datagramOf, WireWatch } from '../support/wire-watch';

const PASSPHRASE = 'blue whale under the ice';

/** A socket for forging datagrams from an address no member has. */
async function attackerSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

describe('security: encryption, authentication and hostile input', function () {
  // Room keys come from scrypt (N = 2^17, ~0.5 s each; test clients share them per passphrase, room and salt).
  this.timeout(30_000);
  const toClose: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const item of toClose.splice(0)) await item.close();
    await closeAll();
  });

  describe('a room sealed with a passphrase', () => {
    it('shows neither the text nor the image bytes in any datagram on the wire', async () => {
      const jpeg = await makeImageBytes(320, 240, 'image/jpeg', 90);
      const relay = await startRelay();
      const captured: Buffer[] = [];
      const proxy = await LossyProxy.start({ relayPort: relay.address.port, seed: 1, tap: (_direction, _client, datagram) => captured.push(Buffer.from(datagram)) });
      toClose.push(proxy);
      const alice = await joinClient(proxy, 'alice', { passphrase: PASSPHRASE });
      const bob = await joinClient(proxy, 'bob', { passphrase: PASSPHRASE });
      const secret = 'the launch code is 0000';
      const gotText = nextEvent(bob, 'message');
      const gotImage = nextEvent(bob, 'image', undefined, 10_000);
      alice.sendText(secret);
      alice.sendImage({ data: jpeg, width: 320, height: 240, format: ImageFormat.Jpeg });
      const [[message], [image]] = await Promise.all([gotText, gotImage]);
      assert.equal(message.text, secret);
      assert.equal(message.encrypted, true);
      assert.ok(Buffer.from(image.data).equals(jpeg));
      const wire = Buffer.concat(captured);
      assert.ok(captured.length > jpeg.length / 1200, `only ${captured.length} datagrams captured`);
      assert.equal(wire.indexOf(Buffer.from(secret)), -1, 'the text is visible on the wire');
      assert.equal(wire.indexOf(Buffer.from('launch code')), -1, 'part of the text is visible on the wire');
      // Any 16-byte run of the image, taken every 512 bytes, would be found if the image travelled in clear.
      for (let offset = 0; offset + 16 <= jpeg.length; offset += 512) {
        assert.equal(wire.indexOf(jpeg.subarray(offset, offset + 16)), -1, `image bytes at ${offset} are visible on the wire`);
      }
    });

    it('refuses a member with the wrong passphrase and tells it why', async () => {
      const relay = await startRelay();
      await joinClient(relay, 'alice', { passphrase: PASSPHRASE, room: 'ops' });
      const mallory = newClient(relay, 'mallory', { passphrase: 'blue whale under the sea', room: 'ops' });
      await assert.rejects(mallory.connect(), (error: ChatClientError) => {
        assert.equal(error.code, 'wrong-passphrase');
        assert.equal(error.message, 'wrong passphrase for room "ops"');
        return true;
      });
      assert.equal(relay.memberCount, 1);
    });

    it('refuses a member without a passphrase, and a passphrase in an open room', async () => {
      const relay = await startRelay();
      await joinClient(relay, 'alice', { passphrase: PASSPHRASE, room: 'ops' });
      await joinClient(relay, 'carol', { room: 'lobby' });
      await assert.rejects(newClient(relay, 'bob', { room: 'ops' }).connect(), (error: ChatClientError) => error.code === 'passphrase-required');
      await assert.rejects(newClient(relay, 'dave', { room: 'lobby', passphrase: PASSPHRASE }).connect(), (error: ChatClientError) => error.code === 'forbidden');
    });

    it('still lets an open room without a passphrase work, shown as unencrypted', async () => {
      const relay = await startRelay();
      const alice = await joinClient(relay, 'alice');
      const bob = await joinClient(relay, 'bob');
      const got = nextEvent(bob, 'message');
      alice.sendText('hello');
      const [message] = await got;
      assert.equal(message.encrypted, false);
      assert.equal(alice.encrypted, false);
    });
  });

  describe('forged and replayed datagrams', () => {
    it('ignores a forged leave, text and image claiming a member from another address', async () => {
      const relay = await startRelay();
      const alice = await joinClient(relay, 'alice');
      const bob = await joinClient(relay, 'bob');
      const bobEvents = { left: collect(bob, 'memberLeft'), messages: collect(bob, 'message'), images: collect(bob, 'image') };
      const attacker = await attackerSocket();
      toClose.push(attacker);
      const claim = { memberId: alice.memberId, messageId: 99n, fragmentIndex: 0, fragmentCount: 1 };
      const forgeries = [
        assemble({ ...claim, type: PacketType.Leave, flags: Flag.Reliable, seq: 1 }, encodePayload({ type: PacketType.Leave, reason: LeaveReason.Quit })),
        assemble({ ...claim, type: PacketType.Text, flags: Flag.Reliable, seq: 2 }, encodePayload({ type: PacketType.Text, sentAt: 0, sender: 'alice', text: 'forged' })),
        assemble(
          { ...claim, type: PacketType.Image, flags: Flag.Reliable, seq: 3 },
          encodePayload({ type: PacketType.Image, sentAt: 0, sender: 'alice', width: 1, height: 1, format: ImageFormat.Jpeg, data: Uint8Array.of(0xff, 0xd8, 0xff) }),
        ),
        // Same again, claiming to carry an authentication tag it cannot compute.
        assemble({ ...claim, type: PacketType.Text, flags: Flag.Reliable | Flag.Auth, seq: 4 }, encodePayload({ type: PacketType.Text, sentAt: 0, sender: 'alice', text: 'forged too' })),
      ];
      const readBefore = relay.counters['datagrams-in'] ?? 0;
      for (let round = 0; round < 10; round++) for (const forged of forgeries) attacker.send(forged, relay.address.port, '127.0.0.1');
      await until(() => (relay.counters['datagrams-in'] ?? 0) - readBefore >= 10 * forgeries.length, 'the relay has read every forgery');
      // Sent after the forgeries: whatever the relay made of them would reach bob before this.
      const got = nextEvent(bob, 'message');
      alice.sendText('genuine');
      await got;
      assert.deepEqual(bobEvents.left, []);
      assert.deepEqual(bobEvents.messages.map(([message]) => message.text), ['genuine']);
      assert.deepEqual(bobEvents.images, []);
      assert.deepEqual(relay.rooms(), new Map([['general', 2]]));
      assert.ok((relay.counters['drop-wrong-address'] ?? 0) >= 30, JSON.stringify(relay.counters));
    });

    it('drops every replayed datagram: each message arrives once', async () => {
      const relay = await startRelay();
      const captured: Array<{ client: string; datagram: Buffer }> = [];
      const proxy = await LossyProxy.start({
        relayPort: relay.address.port,
        seed: 2,
        tap: (direction, client, datagram) => {
          if (direction === 'toRelay') captured.push({ client, datagram: Buffer.from(datagram) });
        },
      });
      toClose.push(proxy);
      const alice = await joinClient(proxy, 'alice', { passphrase: PASSPHRASE });
      const bob = await joinClient(proxy, 'bob', { passphrase: PASSPHRASE });
      const texts = collect(bob, 'message');
      for (let i = 0; i < 5; i++) alice.sendText(`message ${i}`);
      await until(() => texts.length === 5, 'five messages');
      // Replay everything alice ever sent, from her own address (through her proxy path), three times.
      const fromAlice = captured.filter((entry) => entry.client === captured.find((first) => first.datagram.length > 0)?.client);
      const readBefore = relay.counters['datagrams-in'] ?? 0;
      for (let round = 0; round < 3; round++) for (const { client, datagram } of fromAlice) proxy.inject('toRelay', client, datagram);
      await until(() => (relay.counters['datagrams-in'] ?? 0) - readBefore >= 3 * fromAlice.length, 'the relay has read every replay');
      // Sent after the replays, on the same path: a replay the relay let through would reach bob before this.
      const got = nextEvent(bob, 'message');
      alice.sendText('after the replay');
      await got;
      assert.deepEqual(
        texts.map(([message]) => message.text),
        ['message 0', 'message 1', 'message 2', 'message 3', 'message 4', 'after the replay'],
      );
    });

    describe('an unsigned "unknown session" from the relay\'s address', () => {
      /**
       * Heartbeats a second apart: the heartbeat that the forgery prompts stands out from the regular ones, and the
       * next regular one comes well after the client's window (300 ms) for an authenticated answer.
       */
      const SLOW_HEARTBEATS = { heartbeatIntervalMs: 1000, memberTimeoutMs: 10_000 } as const;
      /** Well inside a heartbeat interval (ms): only a heartbeat that the forgery prompted comes this soon. */
      const PROMPT_WAIT_MS = 500;
      /** A relay that restarted cannot sign its "unknown session": the forgery carries no tag either. */
      const unknownSession = (): Uint8Array =>
        encodeControl({ ...controlHeader(PacketType.Error, 0), body: { code: ErrorCode.UnknownSession, clientNonce: new Uint8Array(8), message: 'gone' } });

      /** alice and bob joined through a proxy that is, to them, the relay: what it injects comes from the relay's address. */
      async function roomBehindProxy() {
        const relay = await startRelay({ limits: SLOW_HEARTBEATS });
        const wire = new WireWatch();
        const proxy = await LossyProxy.start({ relayPort: relay.address.port, seed: 4, tap: wire.tap });
        toClose.push(proxy);
        const alice = await joinClient(proxy, 'alice');
        const bob = await joinClient(proxy, 'bob');
        const path = `127.0.0.1:${alice.localPort}`;
        // Right after a regular heartbeat has been answered, the next one is a whole interval away.
        await wire.next(datagramOf('toClient', path, PacketType.HeartbeatAck), 'the answer to a regular heartbeat', 3 * SLOW_HEARTBEATS.heartbeatIntervalMs);
        return { proxy, wire, alice, bob, path };
      }

      it('asks the relay at once, stays connected when the relay answers, and does not rejoin', async () => {
        const { proxy, wire, alice, bob, path } = await roomBehindProxy();
        const states = collect(alice, 'state');
        const mark = wire.seen.length;
        const prompted = wire.next(datagramOf('toRelay', path, PacketType.Heartbeat), 'the heartbeat the forgery prompts', PROMPT_WAIT_MS);
        proxy.inject('toClient', path, unknownSession());
        // Only a client that got past its source check and read the error asks the relay this soon.
        await prompted;
        // The client's own next datagram after its confirmation window: a regular heartbeat, or a join if it believed it.
        const next = await wire.next(
          (seen) => seen.direction === 'toRelay' && seen.client === path && (seen.type === PacketType.Heartbeat || seen.type === PacketType.Join),
          'the client to send again after the confirmation window',
          3 * SLOW_HEARTBEATS.heartbeatIntervalMs,
        );
        const got = nextEvent(alice, 'message');
        bob.sendText('still in the room');
        await got;
        assert.equal(next.type, PacketType.Heartbeat);
        assert.deepEqual(wire.since(mark, datagramOf('toRelay', path, PacketType.Join)), []);
        assert.deepEqual(states, []);
        assert.equal(alice.state, 'connected');
      });

      it('rejoins soon after it when the relay does not answer (a relay that restarted)', async () => {
        const { proxy, alice, path } = await roomBehindProxy();
        proxy.impair('toClient', { lossPercent: 100 });
        const sentAt = Date.now();
        const rejoining = nextEvent(alice, 'state', (state) => state === 'reconnecting', 2 * SLOW_HEARTBEATS.heartbeatIntervalMs);
        proxy.inject('toClient', path, unknownSession());
        await rejoining;
        // Silence alone is noticed only after three heartbeat intervals (3 s).
        const elapsed = Date.now() - sentAt;
        assert.ok(elapsed < 1.5 * SLOW_HEARTBEATS.heartbeatIntervalMs, `rejoined after ${elapsed} ms`);
        proxy.impair('toClient', { lossPercent: 0 });
        await nextEvent(alice, 'state', (state) => state === 'connected', 3 * SLOW_HEARTBEATS.heartbeatIntervalMs);
      });
    });
  });

  describe('garbage and floods', () => {
    it('keeps the relay and a client chatting under 100,000 garbage and mutated datagrams', async function () {
      this.timeout(60_000);
      // The product's own timers: the flood comes from this very process, so it also stalls the members'
      // heartbeats, and the short timers of other tests would (rightly) evict them.
      const relay = await startRelay({ limits: { heartbeatIntervalMs: 2000, memberTimeoutMs: 10_000 } });
      const captured: Buffer[] = [];
      const proxy = await LossyProxy.start({ relayPort: relay.address.port, seed: 3, tap: (_direction, _client, datagram) => captured.push(Buffer.from(datagram)) });
      toClose.push(proxy);
      const alice = await joinClient(proxy, 'alice');
      const bob = await joinClient(proxy, 'bob');
      const warmup = nextEvent(bob, 'message');
      alice.sendText('before the flood');
      await warmup;
      const attacker = await attackerSocket();
      toClose.push(attacker);
      let seed = 12345;
      const random = (): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed >>> 8;
      };
      const texts = collect(bob, 'message');
      const aliceStates = collect(alice, 'state');
      const bobStates = collect(bob, 'state');
      const total = 100_000;
      for (let i = 0; i < total; i++) {
        let bytes: Buffer;
        if (i % 2 === 0) {
          bytes = Buffer.alloc(random() % 1300);
          for (let j = 0; j < bytes.length; j++) bytes[j] = random() & 0xff;
          if (i % 4 === 0 && bytes.length >= 3) bytes.set([0x55, 0x43, 0x01]);
        } else {
          bytes = Buffer.from(captured[random() % captured.length] as Buffer);
          for (let flips = 1 + (random() % 3); flips > 0; flips--) {
            const at = random() % bytes.length;
            bytes[at] = (bytes[at] as number) ^ (1 << (random() % 8));
          }
        }
        attacker.send(bytes, i % 3 === 0 ? bob.localPort : relay.address.port, '127.0.0.1');
        if (i % 500 === 0) {
          await sleep(1);
          if (i % 20_000 === 0) alice.sendText(`during the flood ${i}`);
        }
      }
      const got = nextEvent(bob, 'message', (message) => message.text === 'after the flood', 15_000);
      alice.sendText('after the flood');
      await got;
      assert.ok(texts.some(([message]) => message.text === 'during the flood 0'), JSON.stringify(texts.map(([message]) => message.text)));
      assert.equal(alice.state, 'connected');
      assert.equal(bob.state, 'connected');
      assert.deepEqual([...aliceStates, ...bobStates], [], 'a member lost its connection during the flood');
      assert.equal(relay.counters['internal-error'] ?? 0, 0);
      assert.deepEqual(relay.rooms(), new Map([['general', 2]]));
    });
    it('answers unauthenticated datagrams from one address, over many ports, with few replies, none larger than what asked', async () => {
      const relay = await startRelay();
      const orphan = new WirePeer('orphan');
      orphan.memberId = 1234;
      // Signed as a client's heartbeat is, with keys of a session the relay never had: it asks for "unknown session".
      orphan.keys = deriveHopKeys(createHopKeyPair().privateKey, createHopKeyPair().publicKey, new Uint8Array(8));
      const heartbeat = orphan.heartbeat();
      const replies: Buffer[] = [];
      const ports: dgram.Socket[] = [];
      for (let i = 0; i < 20; i++) {
        // An address no other test client uses, so its reply budget is this test's alone.
        const socket = dgram.createSocket('udp4');
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.9', resolve));
        socket.on('message', (datagram) => replies.push(datagram));
        toClose.push(socket);
        ports.push(socket);
      }
      const readBefore = relay.counters['datagrams-in'] ?? 0;
      for (const socket of ports) socket.send(heartbeat, relay.address.port, '127.0.0.1');
      await until(() => (relay.counters['datagrams-in'] ?? 0) - readBefore >= ports.length, 'the relay has read every heartbeat');
      // Counted by the relay as it refused them: no reply beyond the budget is on its way.
      assert.equal(relay.counters['error-reply-suppressed'], ports.length - ERROR_REPLY_BURST);
      await until(() => replies.length === ERROR_REPLY_BURST, 'the replies within the budget have arrived');
      for (const reply of replies) assert.ok(reply.length <= heartbeat.length, `${reply.length} bytes answered ${heartbeat.length}`);
    });
  });

  describe('hostile names', () => {
    it('lets path-like and markup-like names chat, and saves their images inside the folder', async () => {
      const jpeg = await makeImageBytes(64, 48, 'image/jpeg');
      const relay = await startRelay();
      const pathLike = await joinClient(relay, '../../etc/passwd');
      const markup = await joinClient(relay, '<img src=x onerror=alert(1)>');
      const got = nextEvent(markup, 'image');
      pathLike.sendImage({ data: jpeg, width: 64, height: 48, format: ImageFormat.Jpeg });
      const [image] = await got;
      assert.equal(image.from, '../../etc/passwd');
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-hostile-'));
      try {
        const file = await saveReceivedImage(folder, image, 50_000_000);
        assert.equal(path.dirname(file), folder);
        assert.ok(!path.basename(file).includes('..'));
        assert.deepEqual(fs.readdirSync(folder), [path.basename(file)]);
      } finally {
        fs.rmSync(folder, { recursive: true, force: true });
      }
      const text = nextEvent(pathLike, 'message');
      markup.sendText('<script>alert(1)</script>');
      const [message] = await text;
      assert.equal(message.from, '<img src=x onerror=alert(1)>');
      assert.equal(message.text, '<script>alert(1)</script>');
    });

    it('refuses names with control or invisible characters', async () => {
      const relay = await startRelay();
      assert.throws(() => newClient(relay, 'bob\u202eevil'), (error: ChatClientError) => error.code === 'name-invalid');
      assert.throws(() => newClient(relay, 'bob\nhas left the chat.'), (error: ChatClientError) => error.code === 'name-invalid');
    });
  });
});

describe('security: address validation and wire versions on loopback', function () {
  this.timeout(30_000);
  const sockets: dgram.Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await closeAll();
  });

  async function socketOn(): Promise<dgram.Socket> {
    const socket = await attackerSocket();
    sockets.push(socket);
    return socket;
  }

  it('joins a real client only after it answered a Challenge, and the room works', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const got = nextEvent(bob, 'message');
    alice.sendText('through the cookie');
    const [message] = await got;
    assert.equal(message.text, 'through the cookie');
    assert.ok((relay.counters['challenge-sent'] ?? 0) >= 2, 'a client was admitted without a Challenge');
    assert.equal(relay.counters['join-verified'], 2);
  });

  it('tells a client of wire version 2 to upgrade, in version 2, answering its smallest Join\'s nonce', async () => {
    const relay = await startRelay();
    const oldClient = await socketOn();
    const nonce = Uint8Array.from([8, 7, 6, 5, 4, 3, 2, 1]);
    // A version-2 client's smallest Join: one-letter name and room, its hop key.
    const join = encodeControl({
      ...controlHeader(PacketType.Join, 0),
      body: { clientNonce: nonce, name: 'o', room: 'g', extensions: new Map([[1, new Uint8Array(32).fill(9)]]) },
    });
    join[2] = 2;
    const reply = new Promise<Buffer>((resolve) => oldClient.once('message', resolve));
    oldClient.send(join, relay.address.port, '127.0.0.1');
    const datagram = await reply;
    assert.equal(datagram[2], 2, 'the answer is not of version 2');
    const error = decodeOlderError(datagram);
    assert.ok(error, 'the answer is not an Error of version 2');
    assert.equal(error.body.code, ErrorCode.UnsupportedVersion);
    assert.deepEqual(error.body.clientNonce, nonce);
    assert.match(error.body.message, /v(ersion )?3/);
    assert.match(error.body.message, /upgrade/);
    assert.ok(datagram.length <= join.length, `a ${datagram.length}-byte answer to a ${join.length}-byte Join`);
    assert.equal(relay.memberCount, 0);
  });

  it('stops a client at once, with who must upgrade, when the relay speaks wire version 2', async () => {
    // What a version-2 relay answers a newer datagram: an Error of its own version, with no nonce, and only when
    // that fits within the datagram (its message is 60 bytes: 100 in all).
    const oldRelay = await socketOn();
    const sizes: number[] = [];
    oldRelay.on('message', (datagram, remote) => {
      sizes.push(datagram.length);
      const answer = encodeControl({
        ...controlHeader(PacketType.Error, 0),
        body: { code: ErrorCode.UnsupportedVersion, clientNonce: new Uint8Array(8), message: 'this relay speaks UDP Chat wire version 2: upgrade the relay' },
      });
      answer[2] = 2;
      if (answer.length <= datagram.length) oldRelay.send(answer, remote.port, remote.address);
    });
    const port = oldRelay.address().port;
    // The shortest name and room a client has: its Join is the smallest there is.
    const client = newClient({ address: { port } }, 'a', { room: 'g' });
    const failure = await Promise.race([
      client.connect().then(() => 'connected', (error: unknown) => error),
      sleep(5000).then(() => 'still trying after 5 s'),
    ]);
    assert.ok(failure instanceof ChatClientError, String(failure));
    assert.equal(failure.code, 'unsupported-version');
    assert.equal(failure.message, `the relay at 127.0.0.1:${port} speaks an older protocol (version 2): upgrade the relay`);
    assert.ok(Math.min(...sizes) >= 100, `a ${Math.min(...sizes)}-byte Join leaves an older relay no room to answer`);
  });
});

describe('security: per-sender authenticity in a sealed room, against a member with the passphrase', function () {
  // Room keys come from scrypt (N = 2^17, ~0.5 s each; shared per passphrase, room and salt).
  this.timeout(30_000);
  const ROOM = 'ops';
  const peers: SocketPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) await peer.close();
    await closeAll();
  });

  /** Alice and bob (real clients) and mallory, who holds the passphrase and speaks the protocol by hand. */
  async function room() {
    const { alice, bob, mallory, malloryKeys } = await sealedRoomWithMallory(PASSPHRASE, ROOM, peers);
    const send = (text: string, options: Parameters<WirePeer['sendText']>[2]): void => {
      mallory.peer.sendText(text, Date.now(), options);
      mallory.flush();
    };
    return { alice, bob, mallory, malloryKeys, send };
  }

  it("never shows mallory's text, sealed with her own key but claiming alice's name, as alice's", async () => {
    const { alice, bob, malloryKeys, send } = await room();
    const messages = collect(bob, 'message');
    const refused = nextEvent(bob, 'incomingDropped', (drop) => drop.reason === 'refused');
    send('alice here: wire the money', { sender: 'alice', sealer: new ContentSealer(malloryKeys) });
    await refused;
    const sentinel = nextEvent(bob, 'message', (message) => message.text === 'sentinel');
    alice.sendText('sentinel');
    await sentinel;
    assert.deepEqual(messages.map(([message]) => `${message.from}: ${message.text}`), ['alice: sentinel']);
  });

  it("keeps alice's real messages arriving after mallory sent with alice's next message ids", async () => {
    const { alice, bob, malloryKeys, send } = await room();
    const messages = collect(bob, 'message');
    const first = nextEvent(bob, 'message', (message) => message.text === 'first');
    const firstId = BigInt(`0x${alice.sendText('first')}`);
    await first;
    // Message ids are epoch ‖ counter in the clear: alice's next two are predictable.
    const forged = collect(bob, 'incomingDropped');
    const mallorysOwn = nextEvent(bob, 'message', (message) => message.from === 'mallory');
    send('as alice', { messageId: firstId + 1n, sender: 'alice', sealer: new ContentSealer(malloryKeys) });
    send('as myself', { messageId: firstId + 2n, sealer: new ContentSealer(malloryKeys) });
    await mallorysOwn;
    const real = nextEvent(bob, 'message', (message) => message.text === 'third');
    alice.sendText('second');
    alice.sendText('third');
    await real;
    assert.deepEqual(
      messages.map(([message]) => `${message.from}: ${message.text}`),
      ['alice: first', 'mallory: as myself', 'alice: second', 'alice: third'],
    );
    assert.deepEqual(forged.map(([drop]) => drop.reason), ['refused']);
  });

  it('drops a validly signed message whose key is not the one the relay announced for its sender', async () => {
    const { alice, bob, malloryKeys, send } = await room();
    const messages = collect(bob, 'message');
    const refused = nextEvent(bob, 'incomingDropped', (drop) => drop.reason === 'refused');
    send('signed by a stranger', { sealer: new ContentSealer(withFreshMemberKey(malloryKeys)) });
    await refused;
    const sentinel = nextEvent(bob, 'message', (message) => message.text === 'sentinel');
    alice.sendText('sentinel');
    await sentinel;
    assert.deepEqual(messages.map(([message]) => message.text), ['sentinel']);
  });
});
