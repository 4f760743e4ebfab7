import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cliWorkspace, type CliEvent, type CliProcess } from '../support/cli';

/** The CLI's history contract: `relay --data/--no-history`, `join --history N`, backlog-end, `/history N`. */
describe('udp-chat command line: history', () => {
  const workspace = cliWorkspace('udpchat-cli-history-');
  const { cli } = workspace;

  /** A relay whose identity file and history folder are the test's, so a restart is the same relay. */
  async function startRelay(extra: string[] = [], port = 0): Promise<{ relay: CliProcess; port: number }> {
    const identity = path.join(workspace.dir, 'relay-identity.key');
    const relay = cli(['relay', '--host', '127.0.0.1', '--port', String(port), '--json', '--identity-file', identity, ...extra]);
    const listening = await relay.waitForEvent((event) => event.event === 'listening', 'the relay to listen');
    return { relay, port: listening.port as number };
  }

  async function join(port: number, name: string, extra: string[] = []): Promise<CliProcess> {
    const member = cli(['join', '--relay', `127.0.0.1:${port}`, '--name', name, '--json', '--save-dir', path.join(workspace.dir, name), ...extra]);
    await member.waitForEvent((event) => event.event === 'ready', `${name} to be ready`);
    return member;
  }

  /** Types each line and waits until the relay has every one of them. */
  async function sendAndDeliver(member: CliProcess, lines: string[]): Promise<CliEvent[]> {
    for (const line of lines) member.type(line);
    const sent: CliEvent[] = [];
    for (const line of lines) sent.push(await member.waitForEvent((event) => event.event === 'sent' && event.text === line, `"${line}" to be sent`));
    for (const { id } of sent) await member.waitForEvent((event) => event.event === 'delivery' && event.id === id && event.state === 'delivered', `${String(id)} delivered`);
    return sent;
  }

  const afterReady = (member: CliProcess): CliEvent[] => member.events.slice(member.events.findIndex((event) => event.event === 'ready') + 1);
  const dataDir = (): string => path.join(workspace.dir, 'data');

  it('prints up to N earlier messages after ready, oldest first, with their id, from and ts and backlog: true, then backlog-end', async () => {
    const { port } = await startRelay(['--data', dataDir()]);
    const alice = await join(port, 'alice');
    const carol = await join(port, 'carol', ['--history', '0']);
    const sent = await sendAndDeliver(alice, ['first', 'second', 'third']);
    const live = await Promise.all(sent.map(({ id }) => carol.waitForEvent((event) => event.event === 'message' && event.id === id, 'carol to get it live')));
    const bob = await join(port, 'bob', ['--history', '2']);
    const end = await bob.waitForEvent((event) => event.event === 'backlog-end', 'the backlog to end');
    assert.deepEqual(end, { event: 'backlog-end', count: 2 });
    const printed = afterReady(bob).filter((event) => event.event === 'message' || event.event === 'backlog-end');
    assert.deepEqual(
      printed.map((event) => (event.event === 'message' ? [event.text, event.id, event.from, event.ts, event.backlog] : [event.event])),
      [
        ['second', live[1]?.id, 'alice', live[1]?.ts, true],
        ['third', live[2]?.id, 'alice', live[2]?.ts, true],
        ['backlog-end'],
      ],
    );
  });

  it('prints backlog-end with count 0 and no earlier message with --history 0', async () => {
    const { port } = await startRelay(['--data', dataDir()]);
    const alice = await join(port, 'alice');
    await sendAndDeliver(alice, ['kept']);
    const bob = await join(port, 'bob', ['--history', '0']);
    assert.deepEqual(await bob.waitForEvent((event) => event.event === 'backlog-end', 'the backlog to end'), { event: 'backlog-end', count: 0 });
    assert.deepEqual(afterReady(bob).filter((event) => event.event === 'message'), []);
  });

  it('prints live messages that arrive during the backlog too, and nothing twice', async () => {
    const { port } = await startRelay(['--data', dataDir()]);
    const alice = await join(port, 'alice');
    const early = await sendAndDeliver(alice, Array.from({ length: 40 }, (_, index) => `early ${index}`));
    const bob = cli(['join', '--relay', `127.0.0.1:${port}`, '--name', 'bob', '--json', '--history', '50', '--save-dir', path.join(workspace.dir, 'bob')]);
    // Sent while bob joins and reads the backlog.
    const late = await sendAndDeliver(alice, Array.from({ length: 10 }, (_, index) => `late ${index}`));
    await bob.waitForEvent((event) => event.event === 'backlog-end', 'the backlog to end');
    for (const { id } of late) await bob.waitForEvent((event) => event.event === 'message' && event.id === id, `late ${String(id)} at bob`);
    const ids = bob.events.filter((event) => event.event === 'message').map((event) => event.id);
    assert.equal(new Set(ids).size, ids.length, 'a message was printed twice');
    assert.deepEqual(new Set(ids), new Set([...early, ...late].map((event) => event.id)));
  });

  it('/history N prints the N messages before the earliest shown, then backlog-end', async () => {
    const { port } = await startRelay(['--data', dataDir()]);
    const alice = await join(port, 'alice');
    await sendAndDeliver(alice, ['m1', 'm2', 'm3', 'm4']);
    const bob = await join(port, 'bob', ['--history', '1']);
    await bob.waitForEvent((event) => event.event === 'backlog-end', 'the first backlog');
    bob.type('/history 2');
    await bob.waitForEvent((event) => event.event === 'backlog-end' && event !== bob.events.find((first) => first.event === 'backlog-end'), 'the second backlog-end');
    const printed = afterReady(bob).filter((event) => event.event === 'message' || event.event === 'backlog-end');
    assert.deepEqual(
      printed.map((event) => (event.event === 'message' ? `${String(event.text)}${event.backlog ? '*' : ''}` : `end ${String(event.count)}`)),
      ['m4*', 'end 1', 'm2*', 'm3*', 'end 2'],
    );
  });

  it('keeps nothing with --no-history: says so at start, and a late joiner gets an empty backlog', async () => {
    const { relay, port } = await startRelay(['--no-history', '--data', dataDir()]);
    assert.ok(relay.events.some((event) => event.event === 'history' && event.enabled === false));
    const alice = await join(port, 'alice');
    await sendAndDeliver(alice, ['not kept']);
    const bob = await join(port, 'bob');
    assert.deepEqual(await bob.waitForEvent((event) => event.event === 'backlog-end', 'the backlog to end'), { event: 'backlog-end', count: 0 });
    assert.equal(fs.existsSync(dataDir()), false);
  });

  it('keeps the history in --data DIR, says where at start, and finds it again after a restart', async () => {
    const first = await startRelay(['--data', dataDir()]);
    const started = first.relay.events.find((event) => event.event === 'history');
    assert.deepEqual(started, { event: 'history', dir: dataDir(), file: path.join(dataDir(), 'relay-history.sqlite'), days: 30, roomMb: 64 });
    const alice = await join(first.port, 'alice');
    await sendAndDeliver(alice, ['survives']);
    alice.type('/quit');
    await alice.exited;
    first.relay.signal('SIGTERM');
    assert.equal(await first.relay.exited, 0);
    const second = await startRelay(['--data', dataDir()], first.port);
    const bob = await join(second.port, 'bob');
    await bob.waitForEvent((event) => event.event === 'backlog-end', 'the backlog to end');
    assert.deepEqual(afterReady(bob).filter((event) => event.event === 'message').map((event) => [event.text, event.backlog]), [['survives', true]]);
  });

  it('loses nothing acknowledged when the relay is killed (-9) during a burst, and stores every typed message once', async () => {
    const first = await startRelay(['--data', dataDir()]);
    const alice = await join(first.port, 'alice');
    const lines = Array.from({ length: 150 }, (_, index) => `burst ${index}`);
    const delivered = (): number => alice.events.filter((seen) => seen.event === 'delivery' && seen.state === 'delivered').length;
    for (const line of lines.slice(0, 30)) alice.type(line);
    await alice.waitForEvent((event) => event.event === 'delivery' && event.state === 'delivered' && delivered() >= 20, '20 deliveries');
    // Frozen, the relay acknowledges nothing more: the rest of the burst is typed into a relay that then dies
    // with the datagrams unread, so some of the burst is certainly unacknowledged at the kill, on any machine.
    first.relay.signal('SIGSTOP');
    for (const line of lines.slice(30)) alice.type(line);
    await Promise.all(lines.map((line) => alice.waitForEvent((event) => event.event === 'sent' && event.text === line, `"${line}" sent`)));
    first.relay.signal('SIGKILL');
    await first.relay.exited;
    const deliveredBeforeKill = new Set(alice.events.filter((event) => event.event === 'delivery' && event.state === 'delivered').map((event) => event.id));
    assert.ok(deliveredBeforeKill.size >= 20 && deliveredBeforeKill.size < lines.length, `${String(deliveredBeforeKill.size)} of ${String(lines.length)} delivered before the kill`);
    const second = await startRelay(['--data', dataDir()], first.port);
    const sent = await Promise.all(lines.map((line) => alice.waitForEvent((event) => event.event === 'sent' && event.text === line, `"${line}" sent`)));
    // The outbox drains into the restarted relay.
    for (const { id } of sent) {
      await alice.waitForEvent((event) => event.event === 'delivery' && event.id === id && event.state === 'delivered', `${String(id)} delivered`, 20_000);
    }
    const bob = await join(second.port, 'bob', ['--history', '200']);
    await bob.waitForEvent((event) => event.event === 'backlog-end', 'the backlog to end');
    const backlog = afterReady(bob).filter((event) => event.event === 'message' && event.backlog === true);
    const ids = backlog.map((event) => event.id);
    for (const id of deliveredBeforeKill) assert.ok(ids.includes(id), `${String(id)} was delivered before the kill and is not in the backlog`);
    assert.deepEqual(
      backlog.map((event) => event.text),
      lines,
    );
  });
});
