import assert from 'node:assert/strict';
import { DeliveryWaiters } from '../../../src/extension/delivery-waiters';
import type { DeliveryView } from '../../../src/shared/panel-messages';

/** Whether the promise has settled, checked after everything already queued has run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('DeliveryWaiters', () => {
  it('resolves on delivered, reporting progress on the way', async () => {
    const waiters = new DeliveryWaiters();
    const progress: number[] = [];
    const waiting = waiters.wait('m1', (fraction) => progress.push(fraction));
    waiters.update('m1', { state: 'sending', progress: 0.5 });
    assert.equal(await settled(waiting), false);
    waiters.update('m1', { state: 'delivered', progress: 1 });
    assert.deepEqual(await waiting, { state: 'delivered', progress: 1 });
    assert.deepEqual(progress, [0.5, 1]);
    assert.equal(waiters.size, 0);
  });

  it('leaves other messages waiting', async () => {
    const waiters = new DeliveryWaiters();
    const other = waiters.wait('m2');
    waiters.update('m1', { state: 'delivered', progress: 1 });
    assert.equal(await settled(other), false);
  });

  it('fails every waiter with the reason when the client goes away, keeping the progress reached', async () => {
    const waiters = new DeliveryWaiters();
    const a = waiters.wait('m1');
    const b = waiters.wait('m2');
    waiters.update('m1', { state: 'sending', progress: 0.25 });
    waiters.failAll('you left the room');
    const expected: DeliveryView = { state: 'failed', progress: 0.25, reason: 'you left the room' };
    assert.deepEqual(await a, expected);
    assert.deepEqual(await b, { ...expected, progress: 0 });
    assert.equal(waiters.size, 0);
  });

  it('settles even when a progress callback throws', async () => {
    const waiters = new DeliveryWaiters();
    const waiting = waiters.wait('m1', () => {
      throw new Error('a broken notification');
    });
    waiters.update('m1', { state: 'failed', progress: 0, reason: 'timed out' });
    assert.equal((await waiting).state, 'failed');
  });
});
