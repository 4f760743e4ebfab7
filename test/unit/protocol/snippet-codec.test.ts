import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ActionLedger } from '../../../src/client/actions';
import { decodePayload, encodePayload, type MessagePayload } from '../../../src/protocol/payload';
import { TextKindCode } from '../../../src/protocol/text-kinds';
import { PacketType } from '../../../src/protocol/types';
import { snippetProblem, type SnippetMeta } from '../../../src/shared/snippet';
import { assertBytes, assertCodedError, concat, fromHex } from '../../support/bytes';
import { mutate, mutationsOrNone } from '../../support/fuzzing';

const SENT_AT = 1_700_000_000_000;
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
type Text = Extract<MessagePayload, { type: typeof PacketType.Text }>;

const META: SnippetMeta = { path: 'src/a.ts', startLine: 10, endLine: 24, language: 'typescript', repo: { remote: 'https://h/r.git', branch: 'main', commit: COMMIT } };
const snippet = (meta: SnippetMeta, code = 'let x = 1;'): Text => ({ type: PacketType.Text, sentAt: SENT_AT, sender: 'ann', text: code, kind: { kind: 'snippet', meta } });
const decodeText = (bytes: Uint8Array) => decodePayload(PacketType.Text, bytes);

/** Sent at, the mark, kind 5, sender "ann": what precedes every snippet field in these fixtures. */
const HEAD = '0000018bcfe56800 ff 05 03616e6e';
const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');
/** A snippet's bytes with each field given as hex (the defaults make a valid one). */
function rawSnippet(fields: { path?: string; lines?: string; language?: string; repo?: string; code?: string } = {}): Uint8Array {
  const path = fields.path ?? `0008 ${hex('src/a.ts')}`;
  return fromHex(`${HEAD} ${path} ${fields.lines ?? '0000000a 00000018'} ${fields.language ?? `0a ${hex('typescript')}`} ${fields.repo ?? '00'} ${fields.code ?? hex('x')}`);
}
const pathField = (path: string): string => `${Buffer.byteLength(path).toString(16).padStart(4, '0')} ${hex(path)}`;

describe('protocol/snippet-codec (text kind 5)', () => {
  const examples: Record<string, SnippetMeta> = {
    'with its repository': META,
    'without a repository': { path: 'README.md', startLine: 1, endLine: 1, language: 'markdown' },
    'with only a commit': { path: 'a/b/c.py', startLine: 3, endLine: 4, language: 'python', repo: { commit: 'f'.repeat(64) } },
    'with a non-ASCII path': { path: 'docs/übersicht.md', startLine: 2, endLine: 9, language: 'markdown', repo: { branch: 'feature/ü' } },
  };
  for (const [name, meta] of Object.entries(examples)) {
    it(`decodes an encoded snippet ${name} to the same value`, () => {
      const payload = snippet(meta, 'function f() {\n  return 1;\n}\n');
      assert.deepEqual(decodeText(encodePayload(payload)), { ok: true, value: payload });
    });
  }

  it('lays a snippet out as the kind header, path, lines, language, repo flags and fields, then the code', () => {
    assertBytes(
      encodePayload(snippet(META, 'x')),
      fromHex(`
        0000018bcfe56800 ff 05 03616e6e      // sent at, the mark, kind 5, sender "ann"
        0008 ${hex('src/a.ts')}               // path (u16 length)
        0000000a 00000018                     // lines 10 to 24
        0a ${hex('typescript')}               // language (u8 length)
        07                                    // repo flags: remote, branch, commit
        000f ${hex('https://h/r.git')}        // remote (u16 length)
        04 ${hex('main')}                     // branch (u8 length)
        28 ${hex(COMMIT)}                     // commit (u8 length)
        78                                    // the code, "x", to the end
      `),
    );
    assert.equal(TextKindCode.Snippet, 5);
  });

  it('rejects every truncated prefix of a snippet up to its code', () => {
    const bytes = encodePayload(snippet(META, 'code'));
    for (let length = 0; length < bytes.length - 4; length++) assertCodedError(decodeText(bytes.subarray(0, length)), 'UDPCHAT_ERR_TRUNCATED');
    // Cut exactly before the code: a snippet without code.
    assertCodedError(decodeText(bytes.subarray(0, bytes.length - 4)), 'UDPCHAT_ERR_BAD_FIELD');
  });

  describe('refuses what is not a snippet, with the reason', () => {
    const refused = (bytes: Uint8Array, code: string, reason: RegExp): void => {
      const decoded = decodeText(bytes);
      assertCodedError(decoded, code);
      if (!decoded.ok) assert.match(decoded.error.message, reason);
    };

    it('a path that climbs out with ..', () => refused(rawSnippet({ path: pathField('../x') }), 'UDPCHAT_ERR_BAD_FIELD', /\.\. segment/));
    it('a path inside that climbs out with ..', () => refused(rawSnippet({ path: pathField('src/../../x') }), 'UDPCHAT_ERR_BAD_FIELD', /\.\. segment/));
    it('an absolute path', () => refused(rawSnippet({ path: pathField('/etc/passwd') }), 'UDPCHAT_ERR_BAD_FIELD', /not relative/));
    it('a drive letter', () => refused(rawSnippet({ path: pathField('C:\\x') }), 'UDPCHAT_ERR_BAD_FIELD', /not relative/));
    it('a backslash path', () => refused(rawSnippet({ path: pathField('src\\a.ts') }), 'UDPCHAT_ERR_BAD_FIELD', /not relative/));
    it('an empty path', () => refused(rawSnippet({ path: '0000' }), 'UDPCHAT_ERR_BAD_FIELD', /empty path/));
    it('a path with a control character', () => refused(rawSnippet({ path: pathField('a\u202eb.ts') }), 'UDPCHAT_ERR_BAD_FIELD', /control/));
    it('a path longer than 1024 bytes', () => refused(rawSnippet({ path: pathField('a'.repeat(1025)) }), 'UDPCHAT_ERR_BAD_STRING', /longer than 1024/));
    it('a path that is not UTF-8', () => refused(rawSnippet({ path: '0001 ff' }), 'UDPCHAT_ERR_BAD_STRING', /UTF-8/));
    it('line 0', () => refused(rawSnippet({ lines: '00000000 00000004' }), 'UDPCHAT_ERR_BAD_FIELD', /lines 0–4/));
    it('lines in reverse', () => refused(rawSnippet({ lines: '00000009 00000004' }), 'UDPCHAT_ERR_BAD_FIELD', /lines 9–4/));
    it('a line beyond the highest', () => refused(rawSnippet({ lines: '00000001 ffffffff' }), 'UDPCHAT_ERR_BAD_FIELD', /lines 1–/));
    it('a language that is not an id', () => refused(rawSnippet({ language: `04 ${hex('ty e')}` }), 'UDPCHAT_ERR_BAD_FIELD', /language/));
    it('an empty language', () => refused(rawSnippet({ language: '00' }), 'UDPCHAT_ERR_BAD_FIELD', /language/));
    it('a commit that is not hex', () => refused(rawSnippet({ repo: `04 28 ${hex('z'.repeat(40))}` }), 'UDPCHAT_ERR_BAD_FIELD', /commit/));
    it('a commit of the wrong length', () => refused(rawSnippet({ repo: `04 07 ${hex('abcdef0')}` }), 'UDPCHAT_ERR_BAD_FIELD', /commit/));
    it('a remote with spaces', () => refused(rawSnippet({ repo: `01 0003 ${hex('a b')}` }), 'UDPCHAT_ERR_BAD_FIELD', /remote/));
    it('an empty branch', () => refused(rawSnippet({ repo: '02 00' }), 'UDPCHAT_ERR_BAD_FIELD', /branch/));
    it('repo flags this version does not know', () => refused(rawSnippet({ repo: '08' }), 'UDPCHAT_ERR_BAD_FLAGS', /repo flags 0x8/));
    it('no code', () => refused(rawSnippet({ code: '' }), 'UDPCHAT_ERR_BAD_FIELD', /without code/));
    it('code that is not UTF-8', () => refused(rawSnippet({ code: 'c3' }), 'UDPCHAT_ERR_BAD_STRING', /UTF-8/));
  });

  it('is ignored, without a warning, by a client that knows only kinds 1 to 4', () => {
    // Such a client reads kind 5 as any kind it does not know: the sender, then the rest kept unread. The same
    // bytes under a code this version does not know take that very path here.
    const bytes = encodePayload(snippet(META, 'let x = 1;'));
    const asOlder = concat(bytes.subarray(0, 9), fromHex('fe'), bytes.subarray(10));
    const decoded = decodeText(asOlder);
    assert.ok(decoded.ok && decoded.value.type === PacketType.Text, 'decoded');
    const kind = decoded.value.kind;
    assert.ok(kind?.kind === 'unknown', `decoded as ${kind?.kind}`);
    assert.deepEqual([decoded.value.sender, decoded.value.text, kind.code, kind.rest], ['ann', '', 0xfe, bytes.subarray(14)]);
    const logged: string[] = [];
    const ledger = new ActionLedger((level, message) => logged.push(`${level}: ${message}`));
    assert.deepEqual(ledger.action({ what: kind, id: '0000000000000009', from: 'ann', fromId: 1, senderKey: 'n:ann', sentAt: SENT_AT, text: '' }), []);
    assert.equal(ledger.ignored.unknownKind, 1);
    assert.deepEqual(logged.filter((line) => !line.startsWith('debug:')), []);
  });
});

describe('protocol/snippet-codec under random input', () => {
  const segment = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,11}$/).filter((text) => text !== '.' && text !== '..');
  const metaArb: fc.Arbitrary<SnippetMeta> = fc
    .record({
      path: fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/')),
      startLine: fc.integer({ min: 1, max: 1000 }),
      length: fc.integer({ min: 0, max: 1000 }),
      language: fc.constantFrom('typescript', 'python', 'c++', 'objective-c', 'plaintext'),
      remote: fc.option(fc.constantFrom('https://example.com/a.git', 'git@example.com:a/b.git'), { nil: undefined }),
      branch: fc.option(fc.constantFrom('main', 'feature/ü', 'release-1.2'), { nil: undefined }),
      commit: fc.option(fc.stringMatching(/^[0-9a-f]{40}$/), { nil: undefined }),
    })
    .map(({ path, startLine, length, language, remote, branch, commit }) => {
      const repo = { ...(remote ? { remote } : {}), ...(branch ? { branch } : {}), ...(commit ? { commit } : {}) };
      return { path, startLine, endLine: startLine + length, language, ...(Object.keys(repo).length > 0 ? { repo } : {}) };
    });

  it('decodes every valid snippet to the same value', () => {
    fc.assert(
      fc.property(metaArb, fc.string({ minLength: 1, maxLength: 200 }), (meta, code) => {
        const payload = snippet(meta, code);
        assert.deepEqual(decodeText(encodePayload(payload)), { ok: true, value: payload });
      }),
      { numRuns: 500 },
    );
  });

  it('never accepts a mutated snippet whose location breaks the rule, and never throws', () => {
    fc.assert(
      fc.property(metaArb, mutationsOrNone, (meta, changes) => {
        const bytes = encodePayload(snippet(meta, 'code'));
        const decoded = decodeText(mutate(bytes, changes, bytes, false));
        if (!decoded.ok) return assertCodedError(decoded);
        const kind = decoded.value.type === PacketType.Text ? decoded.value.kind : undefined;
        if (kind?.kind === 'snippet') assert.equal(snippetProblem(kind.meta), undefined, JSON.stringify(kind.meta));
      }),
      { numRuns: 2000 },
    );
  });
});
