import assert from 'node:assert/strict';
import path from 'node:path';
import { insideFolder, snippetCandidates, snippetFileName } from '../../../src/extension/snippet-paths';

const files = (result: ReturnType<typeof snippetCandidates>): string[] => {
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.candidates.map((candidate) => candidate.file);
};

describe('snippetCandidates', () => {
  it('joins a relative path under every workspace folder, in their order', () => {
    assert.deepEqual(files(snippetCandidates(['/ws/app', '/ws/lib'], 'src/a.ts', path.posix)), ['/ws/app/src/a.ts', '/ws/lib/src/a.ts']);
  });

  it('keeps the folder each candidate is under, for the check after links are followed', () => {
    const result = snippetCandidates(['/ws/app'], 'a.ts', path.posix);
    assert.ok(result.ok);
    assert.deepEqual(result.candidates, [{ folder: '/ws/app', file: '/ws/app/a.ts' }]);
  });

  for (const hostile of ['../../etc/passwd', 'src/../../x', 'src/./a.ts', '/etc/passwd', 'src//a.ts', 'src\\..\\x', 'C:/Windows/win.ini', 'c:x', '']) {
    it(`refuses ${JSON.stringify(hostile)} before joining it to any folder`, () => {
      const result = snippetCandidates(['/ws/app'], hostile, path.posix);
      assert.ok(!result.ok && result.reason.startsWith('a snippet path'), JSON.stringify(result));
    });
  }

  it('refuses a segment holding a Windows separator or stream colon on Windows', () => {
    assert.equal(snippetCandidates(['C:\\ws'], 'src/a.ts:stream', path.win32).ok, false);
    assert.deepEqual(files(snippetCandidates(['C:\\ws'], 'src/a.ts', path.win32)), ['C:\\ws\\src\\a.ts']);
  });

  it('has nothing to offer without a workspace folder', () => {
    const result = snippetCandidates([], 'src/a.ts', path.posix);
    assert.deepEqual(result, { ok: false, reason: 'no workspace folder is open' });
  });

  it('accepts a name that only starts with two dots', () => {
    assert.deepEqual(files(snippetCandidates(['/ws'], '..config/a', path.posix)), ['/ws/..config/a']);
  });
});

describe('insideFolder', () => {
  it('says a file below the folder is inside', () => {
    assert.equal(insideFolder('/ws/app', '/ws/app/src/a.ts', path.posix), true);
  });

  it('says a file a link led elsewhere to is outside', () => {
    assert.equal(insideFolder('/ws/app', '/etc/passwd', path.posix), false);
    assert.equal(insideFolder('/ws/app', '/ws/app-other/a.ts', path.posix), false);
    assert.equal(insideFolder('/ws/app', '/ws', path.posix), false);
  });

  it('does not count the folder itself as a file inside it', () => {
    assert.equal(insideFolder('/ws/app', '/ws/app', path.posix), false);
  });

  it('says another drive is outside on Windows', () => {
    assert.equal(insideFolder('C:\\ws', 'D:\\ws\\a.ts', path.win32), false);
    assert.equal(insideFolder('C:\\ws', 'C:\\ws\\a.ts', path.win32), true);
  });
});

describe('snippetFileName', () => {
  it('keeps the base name with its extension', () => {
    assert.equal(snippetFileName('src/deep/a.test.ts'), 'a.test.ts');
  });

  it('drops every character but letters, digits, dot, dash and underscore', () => {
    assert.equal(snippetFileName('src/a b?#%/..é<x>.ts'), 'x.ts');
  });

  it('is never empty', () => {
    assert.equal(snippetFileName('src/???'), 'snippet');
  });
});
