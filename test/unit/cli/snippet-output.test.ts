import assert from 'node:assert/strict';
import { clock } from '../../../src/cli/output';
import { snippetEvent, snippetHeader, snippetText, type ChatSnippet } from '../../../src/cli/snippet-output';

const TS = Date.UTC(2026, 0, 1, 12, 1);
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

function received(overrides: Partial<ChatSnippet> = {}): ChatSnippet {
  return {
    id: '5f0c2a1e00000003',
    from: 'bob',
    fromId: 2,
    text: 'function f() {\n\n  return 1;\n}',
    sentAt: TS,
    encrypted: false,
    legacy: false,
    snippet: { path: 'src/a.ts', startLine: 10, endLine: 13, language: 'typescript', repo: { remote: 'https://example.com/app.git', branch: 'main', commit: COMMIT } },
    ...overrides,
  };
}

describe('cli/snippet-output', () => {
  it('heads a snippet with its path, lines with an ASCII hyphen, and language', () => {
    assert.equal(snippetHeader({ path: 'src/a.ts', startLine: 10, endLine: 24, language: 'typescript' }), 'src/a.ts:L10-L24 (typescript)');
  });

  it('heads a one-line snippet with its one line', () => {
    assert.equal(snippetHeader({ path: 'src/a.ts', startLine: 7, endLine: 7, language: 'go' }), 'src/a.ts:L7 (go)');
  });

  it('prints the header after the time and sender, the code indented by four spaces, then the repository', () => {
    assert.equal(
      snippetText(received()),
      [`${clock(TS)} bob: src/a.ts:L10-L13 (typescript)`, '    function f() {', '', '      return 1;', '    }', 'repo: https://example.com/app.git main 0123456'].join('\n'),
    );
  });

  it('prints only the repository fields it knows, and no repo line without any', () => {
    const lines = (repo: ChatSnippet['snippet']['repo']): string[] => snippetText(received({ snippet: { ...received().snippet, repo } })).split('\n');
    assert.equal(lines({ commit: COMMIT }).at(-1), 'repo: 0123456');
    assert.equal(lines(undefined).at(-1), '    }');
  });

  it('splits the code at every kind of line break, so no line of it runs back over the header', () => {
    assert.deepEqual(snippetText(received({ text: 'a\r\nb\rc' })).split('\n').slice(1, 4), ['    a', '    b', '    c']);
  });

  it('shows control characters of the code as U+FFFD, keeping tabs, so no escape sequence reaches the terminal', () => {
    assert.deepEqual(snippetText(received({ text: '\tx = "\u001b[2J\u009b31m"\u0007' })).split('\n')[1], '    \tx = "\ufffd[2J\ufffd31m"\ufffd');
    assert.equal(snippetEvent(received({ text: '\u001b[2J' })).text, '\u001b[2J');
  });

  it('is exactly the snippet event with --json, repo included when known', () => {
    assert.deepEqual(JSON.stringify(snippetEvent(received())), JSON.stringify({
      event: 'snippet',
      from: 'bob',
      id: '5f0c2a1e00000003',
      ts: TS,
      path: 'src/a.ts',
      startLine: 10,
      endLine: 13,
      language: 'typescript',
      text: 'function f() {\n\n  return 1;\n}',
      repo: { remote: 'https://example.com/app.git', branch: 'main', commit: COMMIT },
    }));
  });

  it('leaves repo out of the event when nothing of it is known, and marks a backlog snippet as messages are', () => {
    const event = snippetEvent(received({ snippet: { path: 'a.py', startLine: 1, endLine: 1, language: 'python' }, backlog: true, storedAt: TS + 5 }));
    assert.deepEqual(event, { event: 'snippet', from: 'bob', id: '5f0c2a1e00000003', ts: TS, path: 'a.py', startLine: 1, endLine: 1, language: 'python', text: received().text, backlog: true, storedAt: TS + 5 });
  });
});
