import assert from 'node:assert/strict';
import { NotificationThrottle } from '../../../src/extension/notification-throttle';

describe('extension/notification-throttle', () => {
  it('shows the first message at once, counting nobody else', () => {
    assert.deepEqual(new NotificationThrottle(5000).offer(1000), { show: true, more: 0 });
  });

  it('holds back messages within the interval and counts them into the next notification', () => {
    const throttle = new NotificationThrottle(5000);
    throttle.offer(1000);
    assert.deepEqual(throttle.offer(2000), { show: false });
    assert.deepEqual(throttle.offer(5999), { show: false });
    assert.deepEqual(throttle.offer(6000), { show: true, more: 2 });
  });

  it('starts counting afresh after each notification', () => {
    const throttle = new NotificationThrottle(5000);
    throttle.offer(0);
    throttle.offer(1);
    throttle.offer(5000);
    assert.deepEqual(throttle.offer(10_000), { show: true, more: 0 });
  });
});
