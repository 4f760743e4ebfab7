import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { languageOf, MAX_SNIPPET_FILE_BYTES, parseSnippetArgument, readSnippet, runGit, SnippetFileError, type GitRunner } from '../../../src/cli/snippet-file';

/** git as if none were installed: no work tree, no repository. */
const NO_GIT: GitRunner = async () => undefined;

async function refusal(run: () => Promise<unknown>): Promise<SnippetFileError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof SnippetFileError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

describe('cli/snippet-file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-snippet-file-')));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string | Buffer): string => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };

  describe('the argument', () => {
    it('names a whole file, one line, or a range of lines', () => {
      assert.deepEqual(parseSnippetArgument('src/a.ts'), { file: 'src/a.ts' });
      assert.deepEqual(parseSnippetArgument('src/a.ts:7'), { file: 'src/a.ts', start: 7, end: 7 });
      assert.deepEqual(parseSnippetArgument(' src/a.ts:10-24 '), { file: 'src/a.ts', start: 10, end: 24 });
    });

    it('keeps a colon that is not a line range as part of the path', () => {
      assert.deepEqual(parseSnippetArgument('C:\\work\\a.ts'), { file: 'C:\\work\\a.ts' });
      assert.deepEqual(parseSnippetArgument('a:b.txt:3'), { file: 'a:b.txt', start: 3, end: 3 });
    });

    it('asks for a path when there is none', () => {
      assert.throws(() => parseSnippetArgument('  '), { code: 'usage' });
    });
  });

  it('guesses the language from the extension, plaintext when it does not know it', () => {
    const cases = { 'a.ts': 'typescript', 'b.TSX': 'typescriptreact', 'c.js': 'javascript', 'd.jsx': 'javascriptreact', 'e.py': 'python', 'f.rs': 'rust', 'g.go': 'go', 'h.cs': 'csharp', 'i.rb': 'ruby', 'j.sh': 'shellscript', 'k.md': 'markdown', 'l.yml': 'yaml', 'm.yaml': 'yaml', Makefile: 'plaintext', 'n.unknown': 'plaintext', 'o.constructor': 'plaintext' };
    assert.deepEqual(Object.fromEntries(Object.keys(cases).map((file) => [file, languageOf(file)])), cases);
  });


  it('reads the lines asked for, and the whole file without a range (a last line break ends the last line)', async () => {
    write('notes.txt', 'one\ntwo\r\nthree\nfour\n');
    assert.deepEqual(await readSnippet('notes.txt:2-3', dir, NO_GIT), { meta: { path: 'notes.txt', startLine: 2, endLine: 3, language: 'plaintext' }, code: 'two\nthree' });
    assert.deepEqual(await readSnippet('notes.txt:4', dir, NO_GIT), { meta: { path: 'notes.txt', startLine: 4, endLine: 4, language: 'plaintext' }, code: 'four' });
    assert.deepEqual(await readSnippet('notes.txt', dir, NO_GIT), { meta: { path: 'notes.txt', startLine: 1, endLine: 4, language: 'plaintext' }, code: 'one\ntwo\nthree\nfour' });
  });

  it('sends a path relative to the current folder outside a work tree, and only the base name outside both', async () => {
    const file = write('deep/er/a.py', 'x = 1\n');
    assert.equal((await readSnippet('deep/er/a.py:1', dir, NO_GIT)).meta.path, 'deep/er/a.py');
    const elsewhere = path.join(dir, 'deep', 'other');
    fs.mkdirSync(elsewhere);
    assert.equal((await readSnippet(`${file}:1`, elsewhere, NO_GIT)).meta.path, 'a.py');
  });

  it('sends the path from the top of the Git work tree with the remote (no credentials), branch and commit', async () => {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'trunk');
    git('remote', 'add', 'origin', 'https://ann:s3cret@example.com/team/app.git');
    write('src/lib/a.ts', 'export const a = 1;\nexport const b = 2;\n');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'first');
    const commit = git('rev-parse', 'HEAD');
    const from = path.join(dir, 'src');
    const { meta, code } = await readSnippet('lib/a.ts:2', from);
    assert.deepEqual(meta, { path: 'src/lib/a.ts', startLine: 2, endLine: 2, language: 'typescript', repo: { remote: 'https://example.com/team/app.git', branch: 'trunk', commit } });
    assert.equal(code, 'export const b = 2;');
  });

  it('leaves out what git does not know: no repository, no remote, no branch when detached', async () => {
    write('a.go', 'package a\n');
    const answers: Record<string, string> = { 'rev-parse --show-toplevel': dir, 'rev-parse HEAD': 'b'.repeat(40), 'rev-parse --abbrev-ref HEAD': 'HEAD' };
    const git: GitRunner = async (args) => answers[args.join(' ')];
    assert.deepEqual((await readSnippet('a.go', dir, git)).meta, { path: 'a.go', startLine: 1, endLine: 1, language: 'go', repo: { commit: 'b'.repeat(40) } });
    assert.equal((await readSnippet('a.go', dir, NO_GIT)).meta.repo, undefined);
  });

  it('sends a remote whose password holds an @ without any of the password', async () => {
    write('a.go', 'package a\n');
    const answers: Record<string, string> = { 'rev-parse --show-toplevel': dir, 'remote get-url origin': 'https://ann:p@ss@example.com/team/app.git' };
    const git: GitRunner = async (args) => answers[args.join(' ')];
    assert.deepEqual((await readSnippet('a.go', dir, git)).meta.repo, { remote: 'https://example.com/team/app.git' });
  });

  it('answers undefined, without throwing, when git cannot run there', async () => {
    assert.equal(await runGit(['rev-parse', '--show-toplevel'], path.join(dir, 'missing')), undefined);
  });

  describe('refuses, saying why', () => {
    it('a file that is not there', async () => {
      const error = await refusal(() => readSnippet('nope.ts:1', dir, NO_GIT));
      assert.deepEqual([error.code, error.message], ['not-found', 'there is no file nope.ts']);
    });

    it('a folder', async () => {
      fs.mkdirSync(path.join(dir, 'src'));
      assert.deepEqual([(await refusal(() => readSnippet('src', dir, NO_GIT))).code], ['is-directory']);
    });

    it('a binary file', async () => {
      write('a.bin', Buffer.from([0x41, 0x00, 0x42, 0x0a]));
      const error = await refusal(() => readSnippet('a.bin', dir, NO_GIT));
      assert.equal(error.code, 'binary');
      assert.match(error.message, /NUL bytes/);
    });

    it('a file that is not UTF-8', async () => {
      write('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
      assert.equal((await refusal(() => readSnippet('latin1.txt', dir, NO_GIT))).code, 'not-text');
    });

    it('lines the file does not have', async () => {
      write('a.ts', 'a\nb\nc\n');
      const error = await refusal(() => readSnippet('a.ts:2-9', dir, NO_GIT));
      assert.deepEqual([error.code, error.message], ['out-of-range', 'a.ts has 3 lines: lines 2-9 are not in it']);
      assert.equal((await refusal(() => readSnippet('a.ts:0', dir, NO_GIT))).code, 'out-of-range');
      assert.equal((await refusal(() => readSnippet('a.ts:3-2', dir, NO_GIT))).code, 'out-of-range');
    });

    it('an empty file', async () => {
      write('empty.ts', '');
      assert.equal((await refusal(() => readSnippet('empty.ts', dir, NO_GIT))).code, 'empty');
    });

    it('a file too large to read, with its size and the limit', async () => {
      const file = write('big.log', '');
      fs.truncateSync(file, MAX_SNIPPET_FILE_BYTES + 1024 * 1024);
      const error = await refusal(() => readSnippet('big.log:1', dir, NO_GIT));
      assert.deepEqual([error.code, error.message], ['too-large', 'big.log is 17 MB; /snippet reads files of at most 16 MB']);
    });
  });
});
