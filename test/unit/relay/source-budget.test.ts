import assert from 'node:assert/strict';
import {
  UNAUTHENTICATED_PER_ADDRESS_BURST,
  UNAUTHENTICATED_PER_PREFIX_BURST,
  UNAUTHENTICATED_TOTAL_BURST,
} from '../../../src/relay/limits';
import { sourceKeys, UnauthenticatedBudget } from '../../../src/relay/source-budget';
import { CoreNet } from '../../support/relay-peer';

const garbage = new TextEncoder().encode('not a udp chat datagram');

/** How many of `count` datagrams from `host` the budget lets through at `now`. */
function allowed(budget: UnauthenticatedBudget, host: string, count: number, now = 0): number {
  let passed = 0;
  for (let i = 0; i < count; i++) if (budget.allow(host, now)) passed++;
  return passed;
}

describe('relay/source-budget', () => {
  describe('sourceKeys', () => {
    it('keys an IPv4 source by its address and its /24', () => {
      assert.deepEqual(sourceKeys('10.1.2.3'), { address: '10.1.2.3', prefix: '10.1.2.0/24' });
      assert.equal(sourceKeys('10.1.2.200').prefix, sourceKeys('10.1.2.3').prefix);
      assert.notEqual(sourceKeys('10.1.3.3').prefix, sourceKeys('10.1.2.3').prefix);
    });

    it('keys an IPv4-mapped IPv6 source as the IPv4 address it is', () => {
      assert.deepEqual(sourceKeys('::ffff:10.1.2.3'), sourceKeys('10.1.2.3'));
      assert.deepEqual(sourceKeys('::ffff:a01:203'), sourceKeys('10.1.2.3'));
    });

    it('keys an IPv6 source by its canonical address, however it is written, and its /64', () => {
      assert.equal(sourceKeys('2001:DB8::1').address, sourceKeys('2001:0db8:0:0:0:0:0:1').address);
      assert.equal(sourceKeys('2001:db8::1').prefix, '2001:db8:0:0::/64');
      assert.equal(sourceKeys('2001:db8::ffff:1:2:3').prefix, sourceKeys('2001:db8::1').prefix);
      assert.notEqual(sourceKeys('2001:db8:0:1::1').prefix, sourceKeys('2001:db8::1').prefix);
      assert.equal(sourceKeys('fe80::1%eth0').address, sourceKeys('fe80::1').address);
    });

    it('keys anything unparsable as itself', () => {
      assert.deepEqual(sourceKeys('1::2::3'), { address: '1::2::3', prefix: '1::2::3' });
    });
  });

  describe('UnauthenticatedBudget', () => {
    it('holds every address of a /24 together to the prefix budget', () => {
      const budget = new UnauthenticatedBudget(0);
      let passed = 0;
      // Each address stays well inside its own burst; together they are ten times the prefix's.
      for (let host = 1; host <= 250; host++) passed += allowed(budget, `10.0.0.${host}`, 40);
      assert.equal(passed, UNAUTHENTICATED_PER_PREFIX_BURST);
      assert.equal(allowed(budget, '10.0.1.1', 1), 1, 'the next /24 has its own budget');
    });

    it('holds every address of an IPv6 /64 together to the prefix budget', () => {
      const budget = new UnauthenticatedBudget(0);
      let passed = 0;
      for (let host = 1; host <= 250; host++) passed += allowed(budget, `2001:db8::${host.toString(16)}:1`, 40);
      assert.equal(passed, UNAUTHENTICATED_PER_PREFIX_BURST);
      assert.equal(allowed(budget, '2001:db8:0:1::1', 1), 1, 'the next /64 has its own budget');
    });

    it('charges the global budget only for what passed the per-address one: a loud source starves nobody', () => {
      const budget = new UnauthenticatedBudget(0);
      assert.equal(allowed(budget, '10.0.0.1', 2 * UNAUTHENTICATED_TOTAL_BURST), UNAUTHENTICATED_PER_ADDRESS_BURST);
      // Ten quiet sources of other prefixes, each with a full burst: the loud one took only its own from the global.
      let passed = 0;
      for (let net = 1; net <= 10; net++) passed += allowed(budget, `10.${net}.0.1`, UNAUTHENTICATED_PER_ADDRESS_BURST);
      assert.equal(passed, 10 * UNAUTHENTICATED_PER_ADDRESS_BURST);
    });

    it('still bounds all sources together by the global budget', () => {
      const budget = new UnauthenticatedBudget(0);
      let passed = 0;
      for (let net = 0; net < 200; net++) passed += allowed(budget, `10.${net}.0.1`, UNAUTHENTICATED_PER_ADDRESS_BURST);
      assert.equal(passed, UNAUTHENTICATED_TOTAL_BURST);
    });
  });

  describe('in the relay', () => {
    it('does not let a source evade its budget by rotating source ports', () => {
      const net = new CoreNet();
      for (let i = 0; i < UNAUTHENTICATED_PER_ADDRESS_BURST; i++) net.inject(garbage, '10.0.0.7', 9000 + i);
      assert.equal(net.counters['drop-rate-limited'], undefined);
      net.inject(garbage, '10.0.0.7', 20_000);
      assert.equal(net.counters['drop-rate-limited'], 1);
      net.inject(garbage, '10.0.0.8', 20_000);
      assert.equal(net.counters['drop-rate-limited'], 1, 'another address has its own budget');
    });
  });
});
