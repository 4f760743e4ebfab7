/**
 * The relay's identity against impostors, on real sockets: a second relay on the same port with another identity
 * is refused by a client that pinned the first (`relay-key-changed`), on a first join with a pin and on a rejoin
 * without any; the command line pins on first use in its known-relays file and accepts a change only when told.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ChatClientError } from '../../src/client/client';
import type { ChatProblem, RelayIdentityOptions } from '../../src/client/types';
import { createRelayIdentity, relayFingerprint } from '../../src/protocol/relay-identity';
import { cliWorkspace, type CliEvent, type CliProcess } from '../support/cli';
import { closeAll, joinClient, newClient, startRelay } from '../support/chat';
import { collect, until } from '../support/events';

/** An in-memory known-relays store, as the extension and the command line keep one. */
function pinStore(): { pins: Map<string, string>; options: RelayIdentityOptions } {
  const pins = new Map<string, string>();
  return {
    pins,
    options: {
      pinned: (relay) => pins.get(relay),
      onFirstUse: (relay, fingerprint) => void pins.set(relay, fingerprint),
    },
  };
}

describe('the relay identity (real sockets)', () => {
  const relayA = createRelayIdentity();
  const relayB = createRelayIdentity();
  const fingerprintA = relayFingerprint(relayA.publicKey);
  const fingerprintB = relayFingerprint(relayB.publicKey);

  afterEach(closeAll);

  it('pins the relay on first use and refuses another relay on the same port afterwards', async () => {
    const first = await startRelay({ identity: relayA });
    const port = first.address.port;
    const store = pinStore();
    const alice = await joinClient(first, 'alice', { relayIdentity: store.options });
    assert.deepEqual([...store.pins], [[`127.0.0.1:${port}`, fingerprintA]]);
    alice.close();
    await first.close();

    const impostor = await startRelay({ port, identity: relayB });
    const again = newClient(impostor, 'alice', { relayIdentity: store.options });
    const problems = collect(again, 'error');
    await assert.rejects(again.connect(), (error: unknown) => error instanceof ChatClientError && error.code === 'relay-key-changed');
    const [problem] = problems.map(([found]) => found as ChatProblem);
    assert.equal(problem?.fatal, true);
    assert.match(problem?.message ?? '', new RegExp(`was ${fingerprintA}, now ${fingerprintB}`));
    assert.equal(again.state, 'closed');
    assert.equal(store.pins.get(`127.0.0.1:${port}`), fingerprintA, 'the pin is not replaced by the refusal');
  });

  it('refuses a rejoin to an impostor on the relay\'s port, without any pin store', async () => {
    const first = await startRelay({ identity: relayA });
    const port = first.address.port;
    const alice = await joinClient(first, 'alice', { relayTimeoutMs: 600 });
    const problems = collect(alice, 'error');
    await first.close();
    await until(() => alice.state === 'reconnecting', 'alice to notice the relay is gone');
    const states = collect(alice, 'state');
    await startRelay({ port, identity: relayB });
    await until(() => alice.state === 'closed', 'alice to refuse the impostor', 10_000);
    const codes = problems.map(([problem]) => (problem as ChatProblem).code);
    assert.deepEqual(codes, ['relay-key-changed']);
    assert.deepEqual(states.map(([state, , reason]) => [state, reason]), [['closed', 'refused']], 'never connected to the impostor');
  });

  describe('udp-chat join --known-relays', () => {
    const workspace = cliWorkspace('udpchat-identity-');
    const { cli } = workspace;

    async function relayCommand(identityFile: string, port: number): Promise<{ relay: CliProcess; port: number; fingerprint: string }> {
      const relay = cli(['relay', '--host', '127.0.0.1', '--port', String(port), '--json', '--identity-file', identityFile]);
      const identity = await relay.waitForEvent((event) => event.event === 'identity', 'the relay identity');
      const listening = await relay.waitForEvent((event) => event.event === 'listening', 'the relay to listen');
      return { relay, port: listening.port as number, fingerprint: identity.fingerprint as string };
    }

    const knownRelays = (): string => path.join(workspace.dir, 'known-relays.json');
    const join = (port: number, extra: string[] = []): CliProcess =>
      cli(['join', '--relay', `127.0.0.1:${port}`, '--name', 'alice', '--json', '--known-relays', knownRelays(), ...extra]);
    const isEvent = (name: string) => (event: CliEvent) => event.event === name;

    it('pins on first use, knows the same relay after its restart, refuses another and accepts it only when told', async () => {
      const identityA = path.join(workspace.dir, 'a.key');
      const a = await relayCommand(identityA, 0);
      const port = a.port;
      assert.equal((fs.statSync(identityA).mode & 0o777).toString(8), '600');

      const first = join(port);
      const pinned = await first.waitForEvent(isEvent('relay-key'), 'the first-use pin');
      assert.deepEqual(pinned, { event: 'relay-key', relay: `127.0.0.1:${port}`, fingerprint: a.fingerprint, pinned: 'first-use' });
      await first.waitForEvent(isEvent('ready'), 'ready');
      await until(() => fs.existsSync(knownRelays()), 'the known-relays file');
      assert.deepEqual(JSON.parse(fs.readFileSync(knownRelays(), 'utf8')), { [`127.0.0.1:${port}`]: a.fingerprint });
      first.endInput();
      assert.equal(await first.exited, 0);

      // The same identity file: the same relay, silently known.
      a.relay.signal('SIGTERM');
      await a.relay.exited;
      const aAgain = await relayCommand(identityA, port);
      assert.equal(aAgain.fingerprint, a.fingerprint);
      const known = join(port);
      await known.waitForEvent(isEvent('ready'), 'ready at the restarted relay');
      assert.equal(known.events.some(isEvent('relay-key')), false);
      known.endInput();
      assert.equal(await known.exited, 0);
      aAgain.relay.signal('SIGTERM');
      await aAgain.relay.exited;

      const b = await relayCommand(path.join(workspace.dir, 'b.key'), port);
      const refused = join(port);
      assert.equal(await refused.exited, 1);
      const error = refused.events.find(isEvent('error'));
      assert.equal(error?.code, 'relay-key-changed', JSON.stringify(refused.events));
      assert.deepEqual([error?.was, error?.now], [a.fingerprint, b.fingerprint]);
      assert.equal(refused.events.some(isEvent('ready')), false);

      const trusting = join(port, ['--trust-new-relay-key']);
      const replaced = await trusting.waitForEvent(isEvent('relay-key'), 'the replaced pin');
      assert.deepEqual(replaced, { event: 'relay-key', relay: `127.0.0.1:${port}`, fingerprint: b.fingerprint, pinned: 'replaced', previous: a.fingerprint });
      await trusting.waitForEvent(isEvent('ready'), 'ready at the new relay');
      await until(() => JSON.parse(fs.readFileSync(knownRelays(), 'utf8'))[`127.0.0.1:${port}`] === b.fingerprint, 'the new pin saved');
      trusting.endInput();
      assert.equal(await trusting.exited, 0);
    });
  });
});
