import assert from 'node:assert/strict';
import { MemoryHistoryStore } from '../../../src/history/memory-store';
import type { RoomVerifier } from '../../../src/history/store';
import { ContentSealer, type RoomKeys } from '../../../src/protocol/room-crypto';
import { ErrorCode } from '../../../src/protocol/types';
import { newMessage } from '../../support/history-contract';
import { CoreNet } from '../../support/relay-peer';
import { testRoomKeys } from '../../support/room-keys';

/** A core whose pins and appends reach `store` at once, each call noted in `calls` in order. */
function pinningNet(store: MemoryHistoryStore): { net: CoreNet; calls: string[] } {
  const calls: string[] = [];
  const describe = (verifier: RoomVerifier): string => (verifier === null ? 'open' : Buffer.from(verifier).toString('hex').slice(0, 8));
  const net = new CoreNet({
    history: {
      reader: store,
      append: (message) => {
        calls.push(`append ${message.room} ${message.seq}`);
        store.append([{ ...message }]);
      },
      pin: (room, verifier) => {
        calls.push(`pin ${room} ${describe(verifier)}`);
        store.pinRoom(room, verifier);
      },
    },
  });
  return { net, calls };
}

describe('relay/core: room pins kept with the history', () => {
  let annKeys: RoomKeys;
  let eveKeys: RoomKeys;
  before(async () => {
    [annKeys, eveKeys] = await Promise.all([testRoomKeys('correct horse battery', 'vault'), testRoomKeys('squatter', 'vault')]);
  });
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').slice(0, 8);

  it('pins an open room as open with its first stored message, handed over before that message', () => {
    const store = new MemoryHistoryStore();
    const { net, calls } = pinningNet(store);
    const ann = net.joined('ann');
    ann.sendText('one', net.now);
    ann.sendText('two', net.now);
    net.flush();
    assert.deepEqual(calls, ['pin general open', 'append general 1', 'append general 2']);
    assert.equal(store.roomVerifier('general'), null);
  });

  it('pins a sealed room with the verifier its members joined with', () => {
    const store = new MemoryHistoryStore();
    const { net, calls } = pinningNet(store);
    const ann = net.joined('ann', 'vault', annKeys);
    ann.sendText('sealed', net.now, { sealer: new ContentSealer(annKeys) });
    net.flush();
    assert.deepEqual(calls, [`pin vault ${hex(annKeys.verifyKey)}`, 'append vault 1']);
  });

  it('judges a join into an empty room with history by its pin: another key, or none, is refused the usual way', () => {
    const store = new MemoryHistoryStore();
    store.pinRoom('vault', annKeys.verifyKey);
    store.append([newMessage('vault', 'sealed before')]);
    const { net } = pinningNet(store);
    const eve = net.joined('eve', 'vault', eveKeys);
    const plain = net.joined('plain', 'vault');
    assert.deepEqual(eve.errors.map((error) => error.code), [ErrorCode.WrongPassphrase]);
    assert.deepEqual(plain.errors.map((error) => error.code), [ErrorCode.PassphraseRequired]);
    // Sentinel: the key the history was pinned with gets in.
    const ann = net.joined('ann', 'vault', annKeys);
    assert.deepEqual(ann.errors, []);
    assert.deepEqual(net.joins.map((member) => member.name), ['ann']);
  });

  it('refuses a sealed join into an empty room pinned open', () => {
    const store = new MemoryHistoryStore();
    store.pinRoom('vault', null);
    store.append([newMessage('vault', 'in the open')]);
    const { net } = pinningNet(store);
    const eve = net.joined('eve', 'vault', eveKeys);
    assert.deepEqual(eve.errors.map((error) => error.code), [ErrorCode.Forbidden]);
    assert.deepEqual(net.joins, []);
  });

  it('refuses every join into an empty room whose pin the store cannot read, and counts it', () => {
    const store = new (class extends MemoryHistoryStore {
      override roomVerifier(): never {
        throw new Error('disk I/O error');
      }
    })();
    const { net } = pinningNet(store);
    const ann = net.joined('ann', 'vault', annKeys);
    const plain = net.joined('plain');
    assert.deepEqual([...ann.errors, ...plain.errors].map((error) => error.code), [ErrorCode.RelayFull, ErrorCode.RelayFull]);
    assert.equal(net.counters['history-read-error'], 2);
    assert.deepEqual(net.joins, []);
  });

  it('pins in memory only once history is off: the store is no longer asked', () => {
    const store = new (class extends MemoryHistoryStore {
      override roomVerifier(): never {
        throw new Error('disk I/O error');
      }
    })();
    const { net } = pinningNet(store);
    net.core.disableHistory();
    const ann = net.joined('ann', 'vault', annKeys);
    assert.deepEqual(ann.errors, []);
    assert.deepEqual(net.joins.map((member) => member.name), ['ann']);
  });
});
