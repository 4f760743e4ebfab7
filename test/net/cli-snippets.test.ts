import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { clock } from '../../src/cli/output';
import { MemoryHistoryStore } from '../../src/history/memory-store';
import { closeAll, startRelay } from '../support/chat';
import { cliWorkspace, type CliEvent, type CliProcess } from '../support/cli';
import { LossyProxy } from '../support/lossy-proxy';

const CODE_LINES = ['export function frobnicate(widget: Widget): number {', '  return widget.size * 42;', '}'];
const SOURCE = ['// the widget helpers', ...CODE_LINES, ''].join('\n');

/** `/snippet` from one `udp-chat join` to others, `--json` and readable, in an open and a sealed room. */
describe('udp-chat command line: code snippets', function () {
  // Sealed rooms derive their keys with scrypt (~0.5 s per process).
  this.timeout(30_000);
  const workspace = cliWorkspace('udpchat-cli-snippets-');
  const { cli } = workspace;
  const closing: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const item of closing.splice(0)) await item.close();
    await closeAll();
  });

  /** A Git work tree in the workspace with src/widgets/frob.ts committed; returns its commit. */
  function repository(): string {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: workspace.dir, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('remote', 'add', 'origin', 'https://ann:hunter2@example.com/team/widgets.git');
    fs.mkdirSync(path.join(workspace.dir, 'src', 'widgets'), { recursive: true });
    fs.writeFileSync(path.join(workspace.dir, 'src', 'widgets', 'frob.ts'), SOURCE);
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'widgets');
    return git('rev-parse', 'HEAD');
  }

  /** A relay in this process (its history in memory) behind a proxy that keeps every datagram it carries. */
  async function relayBehindProxy(): Promise<{ port: number; wire: Buffer[]; store: MemoryHistoryStore }> {
    const store = new MemoryHistoryStore();
    // The product's timers, not the short ones of library tests: several processes share a loaded machine.
    const relay = await startRelay({ history: { store }, limits: { heartbeatIntervalMs: 2000, memberTimeoutMs: 10_000 } });
    const wire: Buffer[] = [];
    const proxy = await LossyProxy.start({ relayPort: relay.address.port, seed: 7, tap: (_direction, _client, datagram) => wire.push(Buffer.from(datagram)) });
    closing.push(proxy);
    return { port: proxy.address.port, wire, store };
  }

  async function join(port: number, name: string, extra: string[]): Promise<CliProcess> {
    const member = cli(['join', '--relay', `127.0.0.1:${port}`, '--name', name, '--save-dir', path.join(workspace.dir, `${name}-images`), ...extra]);
    if (extra.includes('--json')) await member.waitForEvent((event) => event.event === 'ready', `${name} to be ready`);
    else await member.waitForLine(/\* joined /);
    return member;
  }

  async function share(port: number, extra: string[]): Promise<{ sent: CliEvent; bob: CliProcess; carol: CliProcess; commit: string }> {
    const commit = repository();
    const alice = await join(port, 'alice', ['--json', ...extra]);
    const bob = await join(port, 'bob', ['--json', ...extra]);
    const carol = await join(port, 'carol', extra);
    alice.type('/snippet src/widgets/frob.ts:2-4');
    const sent = await alice.waitForEvent((event) => event.event === 'sent' && event.kind === 'snippet', 'the snippet to be sent');
    await alice.waitForEvent((event) => event.event === 'delivery' && event.id === sent.id && event.state === 'delivered', 'the snippet to be delivered');
    return { sent, bob, carol, commit };
  }

  const expected = (sent: CliEvent, ts: unknown, commit: string): CliEvent => ({
    event: 'snippet',
    from: 'alice',
    id: sent.id,
    ts,
    path: 'src/widgets/frob.ts',
    startLine: 2,
    endLine: 4,
    language: 'typescript',
    text: CODE_LINES.join('\n'),
    repo: { remote: 'https://example.com/team/widgets.git', branch: 'main', commit },
  });

  async function checkShown(sent: CliEvent, bob: CliProcess, carol: CliProcess, commit: string): Promise<void> {
    const shown = await bob.waitForEvent((event) => event.event === 'snippet', 'the snippet at bob');
    assert.equal(JSON.stringify(shown), JSON.stringify(expected(sent, shown.ts, commit)));
    assert.deepEqual(bob.events.filter((event) => event.event === 'message'), [], 'a snippet is not also a message');
    const header = await carol.waitForLine(/ alice: src\/widgets\/frob\.ts:L2-L4 \(typescript\)$/);
    assert.equal(header, `${clock(shown.ts as number)} alice: src/widgets/frob.ts:L2-L4 (typescript)`);
    const at = carol.lines.indexOf(header);
    const printed = (): string[] => carol.lines.slice(at + 1, at + 5);
    const deadline = Date.now() + 5000;
    while (printed().length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(printed(), [...CODE_LINES.map((line) => `    ${line}`), `repo: https://example.com/team/widgets.git main ${commit.slice(0, 7)}`]);
  }

  it('shares lines of a file in a Git work tree: the exact snippet event with --json, and readable lines without', async () => {
    const { port } = await relayBehindProxy();
    const { sent, bob, carol, commit } = await share(port, []);
    assert.deepEqual(sent, {
      event: 'sent',
      id: sent.id,
      kind: 'snippet',
      path: 'src/widgets/frob.ts',
      startLine: 2,
      endLine: 4,
      language: 'typescript',
      repo: { remote: 'https://example.com/team/widgets.git', branch: 'main', commit },
    });
    await checkShown(sent, bob, carol, commit);
  });

  it('shares a snippet in a sealed room that the relay never sees in plaintext, on the wire or in its history', async () => {
    const { port, wire, store } = await relayBehindProxy();
    const passphraseFile = path.join(workspace.dir, 'passphrase');
    fs.writeFileSync(passphraseFile, 'correct horse battery staple\n');
    const { sent, bob, carol, commit } = await share(port, ['--passphrase-file', passphraseFile]);
    await checkShown(sent, bob, carol, commit);
    const secrets = ['frob.ts', 'frobnicate', 'widget.size', 'example.com', commit];
    const seen = secrets.filter((secret) => wire.some((datagram) => datagram.includes(secret)));
    assert.deepEqual(seen, []);
    assert.ok(wire.length > 10, `${wire.length} datagrams watched`);
    const stored = store.after('general', 0, 100);
    assert.equal(stored.length, 1);
    assert.deepEqual(secrets.filter((secret) => Buffer.from(stored[0]!.payload).includes(secret)), []);
  });

  it('says what is wrong with a file it cannot share, shares nothing, and lists /snippet in /help', async () => {
    const { port } = await relayBehindProxy();
    fs.writeFileSync(path.join(workspace.dir, 'short.txt'), 'one line\n');
    const alice = await join(port, 'alice', ['--json']);
    alice.type('/snippet short.txt:2-3');
    alice.type('/snippet missing.ts');
    alice.type('/help');
    alice.type('sentinel');
    await alice.waitForEvent((event) => event.event === 'sent' && event.text === 'sentinel', 'the sentinel to be sent');
    const help = alice.events.find((event) => event.event === 'help');
    assert.match(String(help?.text), /\/snippet PATH\[:A-B\]  share lines A to B of a file as code/);
    assert.deepEqual(
      alice.events.filter((event) => event.event === 'error' || event.event === 'sent').map((event) => [event.event, event.code ?? event.kind, event.message ?? event.text]),
      [
        ['error', 'out-of-range', 'short.txt has 1 line: lines 2-3 are not in it'],
        ['error', 'not-found', 'there is no file missing.ts'],
        ['sent', 'text', 'sentinel'],
      ],
    );
  });
});
