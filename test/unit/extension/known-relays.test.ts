import assert from 'node:assert/strict';
import { KnownRelays, MAX_KNOWN_RELAYS, type PinStore } from '../../../src/extension/known-relays';

/** globalState in memory; `update` settles at once, like a Memento's. */
function memento(initial: Record<string, unknown> = {}): PinStore & { values: Map<string, unknown> } {
  const values = new Map(Object.entries(initial));
  return {
    values,
    get: <T>(key: string) => values.get(key) as T | undefined,
    update: (key: string, value: unknown) => {
      values.set(key, value);
      return Promise.resolve();
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('extension/known-relays', () => {
  it('pins a relay on first use and gives that pin to the next join', async () => {
    const known = new KnownRelays(memento());
    const options = known.clientOptions();
    assert.equal(options.pinned?.('10.0.0.1:12345'), undefined);
    options.onFirstUse?.('10.0.0.1:12345', 'aaaa:bbbb');
    await settle();
    assert.equal(known.clientOptions().pinned?.('10.0.0.1:12345'), 'aaaa:bbbb');
    assert.equal(options.pinned?.('10.0.0.2:12345'), undefined);
  });

  it('keeps the old pin after a refused change until the user trusts the new key', async () => {
    const known = new KnownRelays(memento({ 'udpChat.knownRelays': { 'relay:1': 'old' } }));
    known.clientOptions().onChanged?.('relay:1', 'old', 'new');
    assert.equal(known.pinned('relay:1'), 'old');
    const change = known.change('relay:1');
    assert.deepEqual(change, { relay: 'relay:1', expected: 'old', offered: 'new' });
    await known.trust(change!);
    assert.equal(known.pinned('relay:1'), 'new');
    assert.equal(known.change('relay:1'), undefined);
  });

  it('ignores stored values that are not fingerprints', () => {
    const known = new KnownRelays(memento({ 'udpChat.knownRelays': { 'a:1': 42, 'b:2': 'fp' } }));
    assert.equal(known.pinned('a:1'), undefined);
    assert.equal(known.pinned('b:2'), 'fp');
    assert.equal(new KnownRelays(memento({ 'udpChat.knownRelays': ['x'] })).pinned('0'), undefined);
  });

  it(`remembers at most ${MAX_KNOWN_RELAYS} relays, forgetting the oldest pin first`, async () => {
    const state = memento();
    const known = new KnownRelays(state);
    for (let i = 0; i <= MAX_KNOWN_RELAYS; i++) known.clientOptions().onFirstUse?.(`relay:${i}`, `fp${i}`);
    await settle();
    const pins = state.values.get('udpChat.knownRelays') as Record<string, string>;
    assert.equal(Object.keys(pins).length, MAX_KNOWN_RELAYS);
    assert.equal(known.pinned('relay:0'), undefined);
    assert.equal(known.pinned(`relay:${MAX_KNOWN_RELAYS}`), `fp${MAX_KNOWN_RELAYS}`);
  });
});
