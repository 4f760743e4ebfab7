import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseMessageId } from '../../src/protocol/ids';
import { PacketType } from '../../src/protocol/types';
import { cliWorkspace, type CliEvent, type CliProcess } from '../support/cli';
import { SocketPeer } from '../support/relay-peer';

/** The CLI's replies, reactions, edits, deletes, typing and mentions, between real processes on a real relay. */
describe('udp-chat command line: replies, reactions, edits, deletes, typing, presence', function () {
  // Sealed rooms derive their keys with scrypt (~0.5 s per process).
  this.timeout(30_000);
  const workspace = cliWorkspace('udpchat-cli-actions-');
  const { cli } = workspace;
  const peers: SocketPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) await peer.close();
  });

  async function startRelay(extra: string[] = []): Promise<number> {
    const identity = path.join(workspace.dir, 'relay-identity.key');
    const relay = cli(['relay', '--host', '127.0.0.1', '--port', '0', '--json', '--identity-file', identity, ...extra]);
    const listening = await relay.waitForEvent((event) => event.event === 'listening', 'the relay to listen');
    return listening.port as number;
  }

  async function join(port: number, name: string, extra: string[] = []): Promise<CliProcess> {
    const member = cli(['join', '--relay', `127.0.0.1:${port}`, '--name', name, '--json', '--save-dir', path.join(workspace.dir, name), ...extra]);
    await member.waitForEvent((event) => event.event === 'ready', `${name} to be ready`);
    return member;
  }

  /** Types a line and returns its `sent` event once the relay has it. */
  async function sendDelivered(member: CliProcess, line: string, accept: (event: CliEvent) => boolean): Promise<CliEvent> {
    const before = member.events.length;
    member.type(line);
    const sent = await member.waitForEvent((event) => member.events.indexOf(event) >= before && event.event === 'sent' && accept(event), `${line} to be sent`);
    await member.waitForEvent((event) => event.event === 'delivery' && event.id === sent.id && event.state === 'delivered', `${line} to be delivered`);
    return sent;
  }

  const sentText = (member: CliProcess, text: string): Promise<CliEvent> => sendDelivered(member, text, (event) => event.kind === 'text' && event.text === text);
  const messageAt = (member: CliProcess, text: string): Promise<CliEvent> => member.waitForEvent((event) => event.event === 'message' && event.text === text, `"${text}" at a member`);
  /** Events of the kinds this suite is about, in the order printed. */
  const actionEvents = (member: CliProcess): CliEvent[] => member.events.filter((event) => ['reaction', 'edit', 'delete'].includes(event.event));

  /** The whole round trip, with the exact events, in an open or a sealed room. */
  async function roundTrip(extra: string[]): Promise<void> {
    const port = await startRelay();
    const alice = await join(port, 'alice', extra);
    const bob = await join(port, 'bob', extra);
    const original = await sentText(alice, 'lunch at noon, @bob?');
    const id = original.id as string;
    const shown = await messageAt(bob, 'lunch at noon, @bob?');
    assert.deepEqual(shown.mentions, ['bob']);

    const reply = await sendDelivered(bob, `/reply ${id} yes, @Alice`, (event) => event.kind === 'reply');
    const answered = await messageAt(alice, 'yes, @Alice');
    assert.deepEqual(answered, { event: 'message', from: 'bob', text: 'yes, @Alice', id: reply.id, ts: answered.ts, replyTo: id, mentions: ['alice'] });

    await sendDelivered(bob, `/react ${id} 👍`, (event) => event.kind === 'reaction' && event.on === true);
    assert.deepEqual(await alice.waitForEvent((event) => event.event === 'reaction', 'the reaction'), { event: 'reaction', id, from: 'bob', emoji: '👍', on: true });
    await sendDelivered(bob, `/react ${id} 👍`, (event) => event.kind === 'reaction' && event.on === false);
    await alice.waitForEvent((event) => event.event === 'reaction' && event.on === false, 'the reaction taken back');

    await sendDelivered(alice, `/edit ${id} lunch at one`, (event) => event.kind === 'edit');
    assert.deepEqual(await bob.waitForEvent((event) => event.event === 'edit', 'the edit'), { event: 'edit', id, from: 'alice', text: 'lunch at one' });
    await sendDelivered(alice, `/delete ${id}`, (event) => event.kind === 'delete');
    assert.deepEqual(await bob.waitForEvent((event) => event.event === 'delete', 'the delete'), { event: 'delete', id, from: 'alice' });

    assert.deepEqual(
      actionEvents(alice).map((event) => [event.event, event.on]),
      [
        ['reaction', true],
        ['reaction', false],
      ],
    );
    assert.deepEqual(actionEvents(bob).map((event) => event.event), ['edit', 'delete']);
  }

  it('prints a reply with replyTo, mentions, reaction on and off, edit and delete with the exact events', async () => {
    await roundTrip([]);
  });

  it('does the same in a room sealed with a passphrase', async () => {
    const file = path.join(workspace.dir, 'passphrase.txt');
    fs.writeFileSync(file, 'correct horse battery staple\n');
    await roundTrip(['--passphrase-file', file]);
  });

  it("refuses to edit or delete someone else's message or an unknown one, as error events naming it", async () => {
    const port = await startRelay();
    const alice = await join(port, 'alice');
    const bob = await join(port, 'bob');
    const { id } = await sentText(alice, 'mine');
    await messageAt(bob, 'mine');
    bob.type(`/edit ${String(id)} not yours`);
    bob.type(`/delete ${String(id)}`);
    bob.type('/edit 00000000000000ff nothing');
    bob.type('/react nonsense 👍');
    bob.type(`/react ${String(id)} two words`);
    const errors = (): CliEvent[] => bob.events.filter((event) => event.event === 'error');
    await bob.waitForEvent(() => errors().length === 5, 'five refusals');
    assert.deepEqual(
      errors().map((event) => [event.code, event.id]),
      [
        ['not-own', id],
        ['not-own', id],
        ['unknown-message', '00000000000000ff'],
        ['invalid-id', 'nonsense'],
        ['invalid-emoji', id],
      ],
    );
    assert.deepEqual(bob.events.filter((event) => event.event === 'sent'), []);
  });

  it("ignores, on every other member, an edit and a delete of alice's message sent by someone else", async () => {
    const port = await startRelay();
    const alice = await join(port, 'alice');
    const bob = await join(port, 'bob');
    const carol = await join(port, 'carol');
    const mallory = await SocketPeer.open('mallory', port, () => Date.now());
    peers.push(mallory);
    await mallory.join();
    await bob.waitForEvent((event) => event.event === 'join' && event.name === 'mallory', 'mallory to join');
    const { id } = await sentText(alice, 'the meeting is at 3');
    await messageAt(carol, 'the meeting is at 3');
    const target = parseMessageId(String(id)) as bigint;
    // Mallory speaks the protocol by hand: her client would refuse, receivers must too.
    const send = (payload: Parameters<typeof mallory.peer.sendPayload>[0]): void => {
      mallory.peer.sendPayload(payload, Date.now());
      mallory.flush();
    };
    send({ type: PacketType.Text, sentAt: Date.now(), sender: 'mallory', text: 'the meeting is cancelled', kind: { kind: 'edit', target } });
    send({ type: PacketType.Text, sentAt: Date.now(), sender: 'mallory', text: '', kind: { kind: 'delete', target } });
    // Her own reaction is hers to send: it shows, after the ignored edit and delete, and before her sentinel.
    send({ type: PacketType.Text, sentAt: Date.now(), sender: 'mallory', text: '', kind: { kind: 'reaction', target, emoji: '😈', on: true } });
    send({ type: PacketType.Text, sentAt: Date.now(), sender: 'mallory', text: 'sentinel' });
    for (const member of [alice, bob, carol]) {
      await messageAt(member, 'sentinel');
      assert.deepEqual(actionEvents(member), [{ event: 'reaction', id, from: 'mallory', emoji: '😈', on: true }]);
    }
  });

  it('shows nothing, and no error, for a text of a kind it does not know, and goes on', async () => {
    const port = await startRelay();
    const bob = await join(port, 'bob');
    const mallory = await SocketPeer.open('newer', port, () => Date.now());
    peers.push(mallory);
    await mallory.join();
    mallory.peer.sendPayload({ type: PacketType.Text, sentAt: Date.now(), sender: 'newer', text: '', kind: { kind: 'unknown', code: 0x7f } }, Date.now());
    mallory.peer.sendPayload({ type: PacketType.Text, sentAt: Date.now(), sender: 'newer', text: 'sentinel' }, Date.now());
    mallory.flush();
    await messageAt(bob, 'sentinel');
    const afterReady = bob.events.slice(bob.events.findIndex((event) => event.event === 'ready') + 1).filter((event) => event.event !== 'backlog-end');
    assert.deepEqual(afterReady.map((event) => event.event), ['join', 'message']);
  });

  it('prints typing from another member, once per interval, and delivers what follows', async () => {
    const port = await startRelay();
    const alice = await join(port, 'alice');
    const bob = await join(port, 'bob');
    bob.type('/typing');
    bob.type('/typing');
    await sentText(bob, 'here it comes');
    await messageAt(alice, 'here it comes');
    const seen = alice.events.filter((event) => event.event === 'typing' || event.event === 'message');
    assert.deepEqual(seen, [{ event: 'typing', from: 'bob' }, seen[1]]);
    assert.deepEqual(bob.events.filter((event) => event.event === 'typing'), []);
  });

  it('prints presence from another member: /away, /active, and what a member said before someone joined', async () => {
    const port = await startRelay();
    const alice = await join(port, 'alice');
    alice.type('/away');
    const bob = await join(port, 'bob');
    assert.deepEqual(await bob.waitForEvent((event) => event.event === 'presence', "alice's presence at bob"), { event: 'presence', from: 'alice', state: 'away' });
    alice.type('/active');
    assert.deepEqual(
      await bob.waitForEvent((event) => event.event === 'presence' && event.state === 'active', 'alice back at bob'),
      { event: 'presence', from: 'alice', state: 'active' },
    );
    assert.deepEqual(alice.events.filter((event) => event.event === 'presence'), [], 'nobody hears their own');
  });

  it("replays edits, deletes and reactions after their messages in a late joiner's backlog", async () => {
    const port = await startRelay(['--data', path.join(workspace.dir, 'data')]);
    const alice = await join(port, 'alice');
    const bob = await join(port, 'bob');
    const first = await sentText(alice, 'first');
    const second = await sentText(alice, 'second');
    await messageAt(bob, 'second');
    await sendDelivered(alice, `/edit ${String(first.id)} first, edited`, (event) => event.kind === 'edit');
    await sendDelivered(alice, `/delete ${String(second.id)}`, (event) => event.kind === 'delete');
    await sendDelivered(bob, `/react ${String(first.id)} 🎉`, (event) => event.kind === 'reaction');
    const carol = await join(port, 'carol', ['--history', '10']);
    await carol.waitForEvent((event) => event.event === 'backlog-end', 'the backlog to end');
    const printed = carol.events.filter((event) => ['message', 'edit', 'delete', 'reaction', 'backlog-end'].includes(event.event));
    assert.deepEqual(
      printed.map((event) => [event.event, event.id ?? null, event.text ?? event.emoji ?? null, event.backlog ?? null]),
      [
        ['message', first.id, 'first', true],
        ['message', second.id, 'second', true],
        ['edit', first.id, 'first, edited', true],
        ['delete', second.id, null, true],
        ['reaction', first.id, '🎉', true],
        ['backlog-end', null, null, null],
      ],
    );
    assert.equal(printed.at(-1)?.count, 2, 'backlog-end counts the messages shown, not what was done to them');
  });
});
