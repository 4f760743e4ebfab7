import assert from 'node:assert/strict';
import { repoFields, sameCode, selectionLines, snippetPath } from '../../../src/extension/snippet-source';

const at = (line: number, character: number) => ({ line, character });

describe('selectionLines', () => {
  it('shares the lines a selection covers, 1-based', () => {
    assert.deepEqual(selectionLines(at(9, 4), at(23, 7)), { startLine: 10, endLine: 24 });
  });

  it('shares the line of the cursor when nothing is selected', () => {
    assert.deepEqual(selectionLines(at(4, 3), at(4, 3)), { startLine: 5, endLine: 5 });
  });

  it('leaves out the line a selection ends at column 0 of', () => {
    assert.deepEqual(selectionLines(at(2, 0), at(5, 0)), { startLine: 3, endLine: 5 });
  });

  it('keeps the line when the selection starts and ends at column 0 of it', () => {
    assert.deepEqual(selectionLines(at(2, 0), at(2, 0)), { startLine: 3, endLine: 3 });
  });

  it('reads a selection made upwards (active before anchor) the same', () => {
    assert.deepEqual(selectionLines(at(5, 0), at(2, 0)), { startLine: 3, endLine: 5 });
    assert.deepEqual(selectionLines(at(23, 7), at(9, 4)), { startLine: 10, endLine: 24 });
  });
});

describe('snippetPath', () => {
  it('is the path below the workspace folder, with /', () => {
    assert.equal(snippetPath('/home/me/app', '/home/me/app/src/a.ts'), 'src/a.ts');
    assert.equal(snippetPath('/home/me/app/', '/home/me/app/src/a.ts'), 'src/a.ts');
  });

  it('is the base name for a file in no workspace folder', () => {
    assert.equal(snippetPath(undefined, '/tmp/notes/todo.md'), 'todo.md');
  });

  it('is the base name when the folder is only a prefix of the name', () => {
    assert.equal(snippetPath('/home/me/app', '/home/me/app2/a.ts'), 'a.ts');
  });

  it("is an untitled document's title", () => {
    assert.equal(snippetPath(undefined, 'Untitled-1'), 'Untitled-1');
  });
});

describe('sameCode', () => {
  it('finds code the same across CRLF and LF and a final line break', () => {
    assert.equal(sameCode('a\r\nb\r\n', 'a\nb'), true);
  });

  it('finds changed code different', () => {
    assert.equal(sameCode('a\nb', 'a\nc'), false);
    assert.equal(sameCode('a\nb', 'a\n b'), false);
  });
});

describe('repoFields', () => {
  const commit = 'c0ffee'.padEnd(40, '0');

  it('takes origin, the branch and the commit', () => {
    const remotes = [
      { name: 'fork', fetchUrl: 'https://example.com/me/app.git' },
      { name: 'origin', fetchUrl: 'https://bob:token@github.com/team/app.git' },
    ];
    assert.deepEqual(repoFields({ name: 'main', commit }, remotes), { remote: 'https://github.com/team/app.git', branch: 'main', commit });
  });

  it('takes the first remote when there is no origin, and its push URL when it has no fetch URL', () => {
    assert.deepEqual(repoFields(undefined, [{ name: 'upstream', pushUrl: 'git@host:team/app.git' }, { name: 'b', fetchUrl: 'https://b' }]), { remote: 'git@host:team/app.git' });
  });

  it('leaves out a detached HEAD\'s missing name and a commit the wire refuses', () => {
    assert.deepEqual(repoFields({ commit }, []), { commit });
    assert.equal(repoFields({ name: 'main\u202e', commit: 'not-hex' }, []), undefined);
  });
});
