import assert from 'node:assert/strict';
import { repoLine } from '../../../webview/snippet-view';

const meta = { path: 'src/a.ts', startLine: 1, endLine: 2, language: 'typescript' };

describe('repoLine', () => {
  it('joins remote, branch and the short commit', () => {
    assert.equal(repoLine({ ...meta, repo: { remote: 'https://example.com/r.git', branch: 'main', commit: 'abcdef0123456789abcdef0123456789abcdef01' } }), 'https://example.com/r.git · main · abcdef0');
  });

  it('leaves out what the sender did not know', () => {
    assert.equal(repoLine({ ...meta, repo: { branch: 'feature/x' } }), 'feature/x');
  });

  it('says nothing without a repository', () => {
    assert.equal(repoLine(meta), undefined);
    assert.equal(repoLine({ ...meta, repo: {} }), undefined);
  });
});
