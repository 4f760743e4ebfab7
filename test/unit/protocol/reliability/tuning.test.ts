import assert from 'node:assert/strict';
import { DEFAULT_RELIABILITY_TUNING } from '../../../../src/protocol/reliability';
import { recordingChannel } from '../../../support/recording-channel';

describe('reliability tuning', () => {
  describe('defaults and checks', () => {
    it('exports defaults that every channel starts from', () => {
      const { channel } = recordingChannel();
      assert.deepEqual(channel.tuning, DEFAULT_RELIABILITY_TUNING);
      assert.equal(channel.stats.rtoMs, DEFAULT_RELIABILITY_TUNING.initialRtoMs);
      assert.equal(channel.stats.srttMs, undefined);
    });

    it('rejects tuning that cannot work', () => {
      assert.throws(() => recordingChannel({ sendWindowPackets: 0 }), RangeError);
      assert.throws(() => recordingChannel({ minRtoMs: 500, maxRtoMs: 100 }), RangeError);
      assert.throws(() => recordingChannel({ receiveWindowPackets: 70_000 }), RangeError);
      assert.throws(() => recordingChannel({ ackEveryPackets: 1.5 }), RangeError);
    });
  });
});
