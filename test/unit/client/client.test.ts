import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { ChatClient, ChatClientError, type ChatClientOptions, type ClientStateReason, type DeliveryUpdate } from '../../../src/client/client';
import { FAILED_EXPIRY_MS } from '../../../src/client/outbox';
import { controlHeader, decodePacket, encodeControl } from '../../../src/protocol/codec';
import { ImageFormat } from '../../../src/protocol/payload';
import { Flag, PacketType } from '../../../src/protocol/types';
import { createRelayIdentity } from '../../../src/protocol/relay-identity';
import type { RoomKeys } from '../../../src/protocol/room-crypto';
import { Relay } from '../../../src/relay/relay';
import type { Clock } from '../../../src/util/clock';
import { collect, until } from '../../support/events';
import { createFakeClock, type FakeClock } from '../../support/fake-clock';
import { LossyProxy } from '../../support/lossy-proxy';
import { sharedDeriveRoomKeys, testRoomKeys } from '../../support/room-keys';

const HEARTBEAT_MS = 2000;

describe('client/client: the socket edge on a fake clock', () => {
  let clock: FakeClock;
  const opened: Array<{ close(): unknown }> = [];

  beforeEach(() => {
    clock = createFakeClock();
  });

  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
  });

  function client(port: number, options: Partial<ChatClientOptions> = {}, useClock: Clock = clock): ChatClient {
    const made = new ChatClient({ relayHost: '127.0.0.1', relayPort: port, name: 'alice', clock: useClock, ...options });
    opened.push(made);
    return made;
  }

  /** A socket standing in for a relay that never answers; it records what arrives, with the fake time. */
  async function silentRelay(): Promise<{ port: number; types: number[]; times: number[] }> {
    const socket = dgram.createSocket('udp4');
    const types: number[] = [];
    const times: number[] = [];
    socket.on('message', (datagram) => {
      const decoded = decodePacket(datagram);
      if (decoded.ok) types.push(decoded.value.type);
      times.push(clock.now());
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    opened.push({ close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
    return { port: socket.address().port, types, times };
  }

  /** A relay on the same fake clock behind a proxy that can cut the path and shows what the client sends. */
  async function relayBehindProxy(): Promise<{ relay: Relay; proxy: LossyProxy; sent: number[]; sentFlags: number[] }> {
    const relay = await Relay.start({ host: '127.0.0.1', port: 0, clock, limits: { heartbeatIntervalMs: HEARTBEAT_MS, memberTimeoutMs: 10_000 } });
    opened.push(relay);
    const sent: number[] = [];
    const sentFlags: number[] = [];
    const proxy = await LossyProxy.start({
      relayPort: relay.address.port,
      seed: 1,
      tap: (direction, _client, datagram) => {
        const decoded = decodePacket(datagram);
        if (direction === 'toRelay' && decoded.ok) {
          sent.push(decoded.value.type);
          sentFlags.push(decoded.value.flags);
        }
      },
    });
    opened.push(proxy);
    return { relay, proxy, sent, sentFlags };
  }

  /** Moves the fake clock in steps until `condition` holds (real I/O runs between steps). */
  async function advanceUntil(condition: () => boolean, what: string, stepMs = 50, maxMs = 30_000): Promise<void> {
    for (let advanced = 0; !condition(); advanced += stepMs) {
      if (advanced > maxMs) throw new Error(`not ${what} after ${maxMs} ms of fake time`);
      clock.tick(stepMs);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  describe('joining', () => {
    it('sends Joins to a silent relay at once, then after 250, 500, 1000, 2000 and 2000 ms, its timer armed for each', async () => {
      const armed: number[] = [];
      const recording: Clock = { ...clock, setTimeout: (callback, delayMs) => (armed.push(clock.now() + delayMs), clock.setTimeout(callback, delayMs)) };
      const silent = await silentRelay();
      const alice = client(silent.port, {}, recording);
      alice.connect().catch(() => {});
      await until(() => silent.types.length === 1, 'the first Join');
      for (const gap of [250, 500, 1000, 2000, 2000]) {
        const last = silent.times.at(-1) as number;
        assert.equal(armed.at(-1), last + gap, `the timer after the Join at ${last}`);
        clock.tick(gap);
        await until(() => silent.types.length === silent.times.length && silent.times.at(-1) !== last, `the Join ${gap} ms later`);
      }
      const start = silent.times[0] as number;
      assert.deepEqual(silent.times.map((time) => time - start), [0, 250, 750, 1750, 3750, 5750]);
      assert.deepEqual(new Set(silent.types), new Set([PacketType.Join]));
    });

    it('rejects connect() with code closed when close() comes while it is joining', async () => {
      const silent = await silentRelay();
      const alice = client(silent.port);
      const connecting = alice.connect();
      await until(() => silent.types.length === 1, 'the first Join');
      alice.close();
      await assert.rejects(connecting, (error: ChatClientError) => error instanceof ChatClientError && error.code === 'closed');
    });

    it('settles both of two leave() calls made while connected', async () => {
      const { proxy } = await relayBehindProxy();
      const alice = client(proxy.address.port);
      await alice.connect();
      const settled: string[] = [];
      const first = alice.leave().then(() => settled.push('first'));
      const second = alice.leave().then(() => settled.push('second'));
      await advanceUntil(() => settled.length === 2, 'both leave() calls settled');
      await Promise.all([first, second]);
      assert.deepEqual(settled.sort(), ['first', 'second']);
    });

    it('rejects connect() with code closed when leave() comes while it is joining', async () => {
      const silent = await silentRelay();
      const alice = client(silent.port);
      const connecting = alice.connect();
      await until(() => silent.types.length === 1, 'the first Join');
      await alice.leave();
      await assert.rejects(connecting, (error: ChatClientError) => error.code === 'closed');
      assert.equal(alice.state, 'closed');
    });

    it('rejects connect() with code closed when close() comes before the socket is even open', async () => {
      const silent = await silentRelay();
      const alice = client(silent.port);
      const connecting = alice.connect();
      alice.close();
      await assert.rejects(connecting, (error: ChatClientError) => error.code === 'closed');
      assert.equal(alice.localPort, 0);
    });

    it('rejects a second connect() at once and keeps the first one going', async () => {
      const silent = await silentRelay();
      const alice = client(silent.port);
      const first = alice.connect();
      await assert.rejects(alice.connect(), (error: ChatClientError) => error.code === 'already-connected');
      await until(() => silent.types.length === 1, 'the first Join');
      alice.close();
      await assert.rejects(first, (error: ChatClientError) => error.code === 'closed');
      await assert.rejects(alice.connect(), (error: ChatClientError) => error.code === 'closed');
    });
  });

  describe('a sealed room', () => {
    it('sends no Join while the room keys are derived, and settles connect() as closed when closed meanwhile', async () => {
      const { proxy, sent } = await relayBehindProxy();
      const derivations: Array<(keys: RoomKeys) => void> = [];
      const deriveRoomKeys = (): Promise<RoomKeys> => new Promise((resolve) => derivations.push(resolve));
      const alice = client(proxy.address.port, { passphrase: 'correct horse', deriveRoomKeys });
      const connecting = alice.connect();
      await until(() => derivations.length === 1, 'the derivation after the Challenge');
      // Ten seconds of back-off deadlines while scrypt runs: a Join without the room proof would only be challenged.
      await clock.tickAsync(10_000);
      alice.close();
      await assert.rejects(connecting, (error: ChatClientError) => error.code === 'closed');
      (derivations[0] as (keys: RoomKeys) => void)(await testRoomKeys('correct horse', 'general'));
      // The sentinel: a datagram sent after all of it reaches the relay's side with no Join before it.
      const sentinel = dgram.createSocket('udp4');
      opened.push({ close: () => new Promise<void>((resolve) => sentinel.close(() => resolve())) });
      sentinel.send(encodeControl({ ...controlHeader(PacketType.Heartbeat, 0), body: { echo: 1 } }), proxy.address.port, '127.0.0.1');
      await until(() => sent.includes(PacketType.Heartbeat), 'the sentinel');
      assert.deepEqual(sent, [PacketType.Join, PacketType.Heartbeat]);
    });

    it('holds a text sent before the room keys are there and sends it sealed once they arrive', async () => {
      const { proxy } = await relayBehindProxy();
      const derivations: Array<() => void> = [];
      const deriveRoomKeys = (passphrase: string, room: string, salt: Uint8Array): Promise<RoomKeys> =>
        new Promise((resolve) => derivations.push(() => resolve(sharedDeriveRoomKeys(passphrase, room, salt))));
      const alice = client(proxy.address.port, { passphrase: 'correct horse', deriveRoomKeys });
      const deliveries = collect(alice, 'delivery');
      const connecting = alice.connect();
      await until(() => derivations.length === 1, 'the derivation after the Challenge');
      const id = alice.sendText('typed while the keys were derived');
      assert.deepEqual(deliveries.at(-1), [{ id, state: 'queued', progress: 0 }]);
      (derivations[0] as () => void)();
      await connecting;
      await advanceUntil(() => deliveries.some(([update]) => update.id === id && update.state === 'delivered'), 'the held text delivered');
      assert.equal(alice.encrypted, true);
    });

    it('never sends a held text unsealed, and sends nothing of it before the keys arrive', async () => {
      const { proxy, sent, sentFlags } = await relayBehindProxy();
      const derivations: Array<() => void> = [];
      const deriveRoomKeys = (passphrase: string, room: string, salt: Uint8Array): Promise<RoomKeys> =>
        new Promise((resolve) => derivations.push(() => resolve(sharedDeriveRoomKeys(passphrase, room, salt))));
      const alice = client(proxy.address.port, { passphrase: 'correct horse', deriveRoomKeys });
      const connecting = alice.connect();
      await until(() => derivations.length === 1, 'the derivation after the Challenge');
      alice.sendText('held');
      // The sentinel: a datagram sent after the text reaches the relay's side, and no Text went before it.
      const sentinel = dgram.createSocket('udp4');
      opened.push({ close: () => new Promise<void>((resolve) => sentinel.close(() => resolve())) });
      sentinel.send(encodeControl({ ...controlHeader(PacketType.Heartbeat, 0), body: { echo: 1 } }), proxy.address.port, '127.0.0.1');
      await until(() => sent.includes(PacketType.Heartbeat), 'the sentinel');
      assert.equal(sent.includes(PacketType.Text), false);
      (derivations[0] as () => void)();
      await connecting;
      await advanceUntil(() => sent.includes(PacketType.Text), 'the text');
      const textFlags = sentFlags[sent.indexOf(PacketType.Text)] as number;
      assert.equal(textFlags & Flag.Encrypted, Flag.Encrypted, 'sealed');
    });
  });

  describe('liveness', () => {
    it('sends a heartbeat every interval, not a millisecond early', async () => {
      const { proxy, sent } = await relayBehindProxy();
      const alice = client(proxy.address.port);
      await alice.connect();
      const heartbeats = (): number => sent.filter((type) => type === PacketType.Heartbeat).length;
      assert.equal(heartbeats(), 1, 'the one that proves the Welcome arrived');
      clock.tick(HEARTBEAT_MS - 1);
      // The text is the sentinel: a heartbeat sent before it would have reached the proxy first.
      alice.sendText('sentinel');
      await until(() => sent.includes(PacketType.Text), 'the text');
      assert.equal(heartbeats(), 1);
      clock.tick(1);
      await until(() => heartbeats() === 2, 'the second heartbeat');
      clock.tick(HEARTBEAT_MS);
      await until(() => heartbeats() === 3, 'the third heartbeat');
    });

    it('reconnects after exactly three silent heartbeat intervals', async () => {
      const { proxy } = await relayBehindProxy();
      const alice = client(proxy.address.port);
      await alice.connect();
      const states = collect(alice, 'state');
      proxy.impair('toRelay', { lossPercent: 100 });
      proxy.impair('toClient', { lossPercent: 100 });
      clock.tick(3 * HEARTBEAT_MS - 1);
      assert.equal(alice.state, 'connected');
      clock.tick(1);
      assert.deepEqual(states.map(([state, , reason]) => [state, reason]), [['reconnecting', 'relay-silent']]);
    });

    it('does not take a stall of its own process for the relay\'s silence', async () => {
      const { proxy, sent } = await relayBehindProxy();
      const alice = client(proxy.address.port);
      await alice.connect();
      const states = collect(alice, 'state');
      // Blocked from the next heartbeat's deadline until past three intervals: its timer fires once, 4.5 s late.
      clock.jump(3 * HEARTBEAT_MS + 500);
      assert.equal(alice.state, 'connected');
      assert.deepEqual(states, []);
      // It asks instead, and the relay (which only ran late too) answers.
      await until(() => sent.filter((type) => type === PacketType.Heartbeat).length === 2, 'a heartbeat after the stall');
      assert.equal(alice.state, 'connected');
    });

    it('shows the relay\'s shutdown at once, with no time passing, and rejoins when it is back', async () => {
      const identity = createRelayIdentity();
      const relay = await Relay.start({ host: '127.0.0.1', port: 0, clock, identity });
      const port = relay.address.port;
      const alice = client(port, { joinRetryMs: 100, maxJoinRetryMs: 100 });
      await alice.connect();
      const states = collect(alice, 'state');
      const before = clock.now();
      const shutdown = new Promise<ClientStateReason>((resolve) => alice.once('state', (_state, _detail, reason) => resolve(reason)));
      await relay.close();
      assert.equal(await shutdown, 'relay-shutdown');
      assert.equal(clock.now(), before, 'silence cannot have been noticed: the clock did not move');
      assert.match(String(states[0]?.[1]), /relay-shutdown/);
      const back = await Relay.start({ host: '127.0.0.1', port, clock, identity });
      opened.push(back);
      await advanceUntil(() => alice.state === 'connected', 'back', 100);
      assert.deepEqual(states.map(([state, , reason]) => [state, reason]), [['reconnecting', 'relay-shutdown'], ['connected', 'joined']]);
    });
  });

  describe('delivery', () => {
    it('fails a message at exactly deliveryTimeoutMs and sends it again on retry', async () => {
      const { proxy } = await relayBehindProxy();
      const alice = client(proxy.address.port, { deliveryTimeoutMs: 3000 });
      await alice.connect();
      const updates = collect(alice, 'delivery');
      proxy.impair('toRelay', { lossPercent: 100 });
      const id = alice.sendText('into the void');
      assert.deepEqual(updates.map(([update]) => update.state), ['sending']);
      clock.tick(2999);
      assert.deepEqual(updates.map(([update]) => update.state), ['sending']);
      clock.tick(1);
      assert.deepEqual(updates.map(([update]) => [update.id, update.state, update.reason]), [
        [id, 'sending', undefined],
        [id, 'failed', 'the relay did not confirm it'],
      ]);
      proxy.impair('toRelay', { lossPercent: 0 });
      assert.equal(alice.retry(id), true);
      assert.equal(updates.at(-1)?.[0].state, 'sending');
      await advanceUntil(() => updates.at(-1)?.[0].state === 'delivered', 'delivered', 20);
      assert.deepEqual(alice.pending(), []);
    });

    it('lets the user discard a failed message, and drops one nobody retried after FAILED_EXPIRY_MS', async () => {
      const silent = await silentRelay();
      const alice = client(silent.port, { deliveryTimeoutMs: 1000 });
      alice.connect().catch(() => {});
      await until(() => silent.types.length === 1, 'the first Join');
      const updates = collect(alice, 'delivery');
      const discarded = alice.sendText('discard me');
      const expiring = alice.sendText('let me expire');
      clock.tick(1000);
      assert.deepEqual(alice.pending().map((update) => update.state), ['failed', 'failed']);
      assert.equal(alice.discard(discarded), true);
      assert.equal(alice.discard(discarded), false);
      assert.deepEqual(alice.pending().map((update) => update.id), [expiring]);
      clock.tick(FAILED_EXPIRY_MS - 1);
      assert.equal(alice.pending().length, 1);
      clock.tick(1);
      assert.deepEqual(alice.pending(), []);
      const gone = updates.filter(([update]) => update.discarded).map(([update]) => update.id);
      assert.deepEqual(gone, [discarded, expiring]);
      assert.equal(alice.retry(expiring), false);
    });
  });

  describe('outbox bounds while the relay is away', () => {
    it('refuses the 1,001st text with outbox-full and a clear reason', async () => {
      const silent = await silentRelay();
      const alice = client(silent.port);
      alice.connect().catch(() => {});
      for (let i = 0; i < 1000; i++) alice.sendText(`line ${i}`);
      assert.throws(
        () => alice.sendText('one too many'),
        (error: ChatClientError) => error.code === 'outbox-full' && /already holds 1000 messages not yet delivered \(at most 1000\)/.test(error.message),
      );
      assert.equal(alice.outboxUsage.messages, 1000);
    });

    it('refuses the image that would pass 32 MiB, and takes one again once another is discarded', async () => {
      const silent = await silentRelay();
      const alice = client(silent.port);
      alice.connect().catch(() => {});
      const image = { data: new Uint8Array(5 * 1024 * 1024).fill(7), width: 640, height: 480, format: ImageFormat.Jpeg };
      const accepted: string[] = [];
      let refusal: ChatClientError | undefined;
      for (let i = 0; i < 10 && !refusal; i++) {
        try {
          accepted.push(alice.sendImage(image));
        } catch (error) {
          refusal = error as ChatClientError;
        }
      }
      assert.equal(accepted.length, 5);
      assert.equal(refusal?.code, 'outbox-full');
      assert.match(refusal?.message ?? '', /more than the 32\.0 MiB it may hold; the image was not queued/);
      assert.ok(alice.outboxUsage.bytes <= 32 * 1024 * 1024);
      const updates: DeliveryUpdate[] = [];
      alice.on('delivery', (update) => updates.push(update));
      assert.equal(alice.discard(accepted[0] as string), true);
      assert.equal(updates[0]?.discarded, true);
      assert.doesNotThrow(() => alice.sendImage(image));
    });
  });
});
