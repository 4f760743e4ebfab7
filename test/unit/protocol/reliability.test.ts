import assert from 'node:assert/strict';
import { recordingChannel } from '../../support/recording-channel';

describe('ReliableChannel', () => {
  describe('time', () => {
    it('needs no wakeup and is idle before anything happens', () => {
      const { channel } = recordingChannel();
      assert.equal(channel.nextWakeup(), undefined);
      assert.equal(channel.idle, true);
      channel.poll(1_000);
      assert.equal(channel.nextWakeup(), undefined);
    });

    it('treats a clock that steps back as standing still', () => {
      const { channel, transmissions } = recordingChannel();
      channel.send('a', 1, 'normal', 100);
      channel.poll(50);
      assert.equal(channel.nextWakeup(), 400);
      assert.equal(transmissions.length, 1);
    });
  });
});
