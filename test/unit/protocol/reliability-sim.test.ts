import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReliableChannel, type Priority } from '../../../src/protocol/reliability';
import {
  ChannelSimulation,
  PERFECT_LINK,
  mulberry32,
  type LinkConditions,
  type SimulatedPeer,
} from '../../support/lossy-link';
import { assertValidRanges } from '../../support/recording-channel';

/** Fixed fast-check seed: every run of the suite explores the same 100 links, and a failure replays exactly. */
const FC_SEED = 20_240_611;
/** Simulated time (ms) after which a run that is still not done counts as stalled. */
const STALL_LIMIT_MS = 10 * 60_000;

interface Item {
  from: 'a' | 'b';
  index: number;
  priority: Priority;
}

interface PlannedSend {
  at: number;
  peer: 'a' | 'b';
  item: Item;
}

const linkArbitrary: fc.Arbitrary<LinkConditions> = fc.record({
  lossPercent: fc.integer({ min: 0, max: 30 }),
  duplicatePercent: fc.integer({ min: 0, max: 10 }),
  reorderPercent: fc.integer({ min: 0, max: 20 }),
  delayMs: fc.integer({ min: 0, max: 20 }),
  jitterMs: fc.integer({ min: 0, max: 10 }),
});

/** Runs the planned sends at their simulated times, then lets the links drain. */
function runPlan(sim: ChannelSimulation<Item>, plan: PlannedSend[]): void {
  const sorted = [...plan].sort((x, y) => x.at - y.at);
  for (const send of sorted) {
    if (send.at > sim.now) sim.runFor(send.at - sim.now);
    const ticket = sim[send.peer].channel.send(send.item, 1_000, send.item.priority, sim.now);
    assert.notEqual(ticket, undefined, 'the queue took the item');
  }
  sim.runToQuiet(STALL_LIMIT_MS);
}

function planOf(peer: 'a' | 'b', count: number, spreadMs: number, random: () => number, priority?: Priority) {
  const priorities: Priority[] = ['urgent', 'normal', 'bulk'];
  const plan: PlannedSend[] = [];
  for (let index = 0; index < count; index++) {
    const chosen = priority ?? (priorities[Math.floor(random() * 3)] as Priority);
    plan.push({ at: Math.floor(random() * spreadMs), peer, item: { from: peer, index, priority: chosen } });
  }
  return plan;
}

/** What every run must show, for traffic from `sender` to `receiver`. */
function assertExactlyOnceInOrder(sender: SimulatedPeer<Item>, receiver: SimulatedPeer<Item>, sent: Item[]): void {
  // Delivered exactly in seq order (the order items entered the window)...
  assert.deepEqual(receiver.delivered, sender.firstTransmissions);
  // ...which holds every item once, each priority class in the order it was given.
  assert.equal(receiver.delivered.length, sent.length);
  for (const priority of ['urgent', 'normal', 'bulk'] as const) {
    const given = sent.filter((item) => item.priority === priority).map((item) => item.index);
    const delivered = receiver.delivered.filter((item) => item.priority === priority).map((item) => item.index);
    assert.deepEqual(delivered, given, `${priority} items in order`);
  }
  const acknowledged = [...sender.acknowledged].sort((x, y) => x - y);
  assert.deepEqual(
    acknowledged,
    sent.map((_, index) => index + 1),
    'every ticket acknowledged exactly once',
  );
  assert.deepEqual(sender.windowViolations, []);
  for (const ack of receiver.acksSent) assertValidRanges(ack);
  assert.equal(sender.channel.idle, true);
  assert.equal(receiver.channel.stats.buffered, 0);
}

describe('ReliableChannel on a simulated lossy link', function () {
  // Each case runs a hundred simulations; the default two seconds are too tight on a slow machine.
  this.timeout(60_000);

  it('delivers small messages exactly once and in order, both directions at once, on 100 random links', () => {
    fc.assert(
      fc.property(linkArbitrary, linkArbitrary, fc.integer(), (aToB, bToA, seed) => {
        const sim = new ChannelSimulation<Item>({ seed, aToB, bToA });
        const random = mulberry32(seed ^ 0x5eed);
        const fromA = planOf('a', 60, 500, random);
        const fromB = planOf('b', 60, 500, random);
        runPlan(sim, [...fromA, ...fromB]);
        const sentByA = [...fromA].sort((x, y) => x.at - y.at).map((send) => send.item);
        const sentByB = [...fromB].sort((x, y) => x.at - y.at).map((send) => send.item);
        assertExactlyOnceInOrder(sim.a, sim.b, sentByA);
        assertExactlyOnceInOrder(sim.b, sim.a, sentByB);
      }),
      { seed: FC_SEED, numRuns: 100 },
    );
  });

  it('delivers 2,000 bulk items exactly once and in order, with chat flowing back, on 100 random links', () => {
    fc.assert(
      fc.property(linkArbitrary, linkArbitrary, fc.integer(), (aToB, bToA, seed) => {
        const sim = new ChannelSimulation<Item>({ seed, aToB, bToA });
        const random = mulberry32(seed ^ 0xb01c);
        const bulk = planOf('a', 2_000, 1, random, 'bulk');
        const chat = planOf('b', 20, 200, random, 'normal');
        runPlan(sim, [...bulk, ...chat]);
        assertExactlyOnceInOrder(
          sim.a,
          sim.b,
          bulk.map((send) => send.item),
        );
        assertExactlyOnceInOrder(
          sim.b,
          sim.a,
          [...chat].sort((x, y) => x.at - y.at).map((send) => send.item),
        );
      }),
      { seed: FC_SEED, numRuns: 100 },
    );
  });

  it('lets a text sent behind 2,000 queued image fragments arrive before most of them', () => {
    const sim = new ChannelSimulation<Item>({ seed: 1, aToB: { ...PERFECT_LINK, delayMs: 5 } });
    const random = mulberry32(1);
    const plan = [...planOf('a', 2_000, 1, random, 'bulk'), { at: 2, peer: 'a' as const, item: text(0) }];
    runPlan(sim, plan);
    const position = sim.b.delivered.findIndex((item) => item.priority === 'normal');
    assert.ok(position < 2 * 256, `the text arrived after ${position} fragments`);
  });

  it('never exceeds a small window the receiver advertises, and still delivers everything', () => {
    const tuning = { receiveWindowPackets: 16 };
    for (let seed = 1; seed <= 20; seed++) {
      const aToB = { lossPercent: 10, duplicatePercent: 5, reorderPercent: 10, delayMs: 3, jitterMs: 3 };
      const sim = new ChannelSimulation<Item>({ seed, aToB, tuning });
      const plan = planOf('a', 500, 50, mulberry32(seed));
      runPlan(sim, plan);
      assertExactlyOnceInOrder(sim.a, sim.b, [...plan].sort((x, y) => x.at - y.at).map((send) => send.item));
    }
  });

  it('puts only wire-valid acks on a lossy, reordering link', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const aToB = { lossPercent: 25, duplicatePercent: 5, reorderPercent: 20, delayMs: 5, jitterMs: 5 };
      const sim = new ChannelSimulation<Item>({ seed, aToB, encodeAcks: true });
      const plan = planOf('a', 2_000, 1, mulberry32(seed), 'bulk');
      runPlan(sim, plan);
      assertExactlyOnceInOrder(
        sim.a,
        sim.b,
        plan.map((send) => send.item),
      );
      assert.ok(
        sim.b.acksSent.some((ack) => ack.ranges.length > 14),
        'the run exercised acks with many ranges',
      );
    }
  });

  it('recovers when the link goes dark for seconds and comes back', () => {
    const sim = new ChannelSimulation<Item>({ seed: 3, aToB: { ...PERFECT_LINK, delayMs: 2 } });
    const plan = planOf('a', 1_000, 1, mulberry32(3), 'bulk');
    const dark = { ...PERFECT_LINK, lossPercent: 100 };
    sim.a.outbound.conditions = dark;
    sim.b.outbound.conditions = dark;
    for (const send of plan) sim.a.channel.send(send.item, 1_000, 'bulk', 0);
    sim.runFor(8_000);
    assert.equal(sim.b.delivered.length, 0);
    assert.ok(sim.a.channel.stats.timeouts >= 3, 'the timer kept probing');
    sim.a.outbound.conditions = { ...PERFECT_LINK, delayMs: 2 };
    sim.b.outbound.conditions = { ...PERFECT_LINK, delayMs: 2 };
    sim.runToQuiet(8_000 + 6_000);
    assertExactlyOnceInOrder(
      sim.a,
      sim.b,
      plan.map((send) => send.item),
    );
  });

  it('resends nothing on a clean link and acks once per eight datagrams', () => {
    const sim = new ChannelSimulation<Item>({ seed: 9, aToB: { ...PERFECT_LINK, delayMs: 5 } });
    const plan = planOf('a', 2_000, 1, mulberry32(9), 'bulk');
    runPlan(sim, plan);
    const sender = sim.a.channel.stats;
    assert.equal(sender.retransmitted, 0);
    assert.equal(sender.sent, 2_000);
    assert.equal(sender.lossPercent, 0);
    assert.ok(sim.b.channel.stats.acksSent <= 2_000 / 8 + 10, `${sim.b.channel.stats.acksSent} acks`);
  });

  it('moves 2,000 datagrams over a 1 ms link within a few hundred simulated milliseconds', () => {
    const sim = new ChannelSimulation<Item>({ seed: 4, aToB: { ...PERFECT_LINK, delayMs: 1 } });
    const plan = planOf('a', 2_000, 1, mulberry32(4), 'bulk');
    runPlan(sim, plan);
    assert.ok(sim.now < 300, `done at ${sim.now} ms of simulated time`);
  });

  it('survives arbitrary acks: each ticket is acknowledged at most once and the window holds', () => {
    const ackArbitrary = fc.record({
      cumulative: fc.integer({ min: 0, max: 80 }),
      window: fc.integer({ min: 0, max: 600 }),
      delayMs: fc.integer({ min: 0, max: 70_000 }),
      ranges: fc.array(
        fc.record({ first: fc.integer({ min: 0, max: 90 }), last: fc.integer({ min: 0, max: 90 }) }),
        { maxLength: 40 },
      ),
    });
    const stepArbitrary = fc.oneof(
      fc.record({ kind: fc.constant('ack' as const), ack: ackArbitrary }),
      fc.record({ kind: fc.constant('send' as const), count: fc.integer({ min: 1, max: 10 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 2_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(stepArbitrary, { maxLength: 60 }), (steps) => {
        const acknowledged: number[] = [];
        const channel = new ReliableChannel<number>(
          {
            transmit: () => undefined,
            transmitAck: () => undefined,
            deliver: () => undefined,
            acknowledged: (ticket) => acknowledged.push(ticket),
            tuning: { sendWindowPackets: 32 },
          },
          0,
        );
        let now = 0;
        let given = 0;
        for (const step of steps) {
          if (step.kind === 'ack') channel.receiveAck(step.ack, now);
          else if (step.kind === 'send') for (let i = 0; i < step.count; i++) channel.send(given++, 1, 'bulk', now);
          else {
            now += step.ms;
            channel.poll(now);
          }
          const stats = channel.stats;
          assert.ok(stats.inFlight <= 32);
          assert.equal(new Set(acknowledged).size, acknowledged.length, 'no ticket acknowledged twice');
          assert.equal(stats.inFlight + stats.selectivelyAcked + stats.queued + acknowledged.length, given, 'no item lost or invented');
          const wakeup = channel.nextWakeup();
          assert.ok(wakeup === undefined || wakeup > now, 'after running, nothing is overdue');
          assert.equal(wakeup === undefined, stats.inFlight === 0 && (stats.queued === 0 || stats.peerWindow > 0));
        }
      }),
      { seed: FC_SEED, numRuns: 300 },
    );
  });
});

function text(index: number): Item {
  return { from: 'a', index, priority: 'normal' };
}
