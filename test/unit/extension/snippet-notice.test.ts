import assert from 'node:assert/strict';
import { snippetNotice } from '../../../src/extension/snippet-notice';

describe('snippetNotice', () => {
  it('names who shared which lines of which file', () => {
    assert.equal(snippetNotice('bob', { path: 'src/a.ts', startLine: 10, endLine: 24, language: 'typescript' }), 'UDP Chat: “bob” shared src/a.ts:L10–L24');
  });

  it('counts the others not notified', () => {
    assert.equal(snippetNotice('bob', { path: 'a.ts', startLine: 3, endLine: 3, language: 'typescript' }, 2), 'UDP Chat: “bob” shared a.ts:L3 (+2 more)');
  });

  it('makes a link in the path inert text', () => {
    const text = snippetNotice('[x](command:y)', { path: '[open](command:workbench.action.terminal.new)/a.ts', startLine: 1, endLine: 1, language: 'plaintext' });
    assert.ok(!/\[[^\]]*\]\(command:/.test(text), text);
    assert.ok(!text.includes('command:'), text);
  });
});
