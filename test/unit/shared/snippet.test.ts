import assert from 'node:assert/strict';
import { remoteWithoutCredentials } from '../../../src/shared/snippet';

describe('remoteWithoutCredentials', () => {
  it('takes the credentials out of a remote URL, and keeps an scp-like one', () => {
    assert.equal(remoteWithoutCredentials('https://ann:s3cret@example.com/team/app.git'), 'https://example.com/team/app.git');
    assert.equal(remoteWithoutCredentials('https://ghp_token@example.com/team/app.git'), 'https://example.com/team/app.git');
    assert.equal(remoteWithoutCredentials('git@example.com:team/app.git'), 'git@example.com:team/app.git');
  });

  it('drops a user and token from an https remote', () => {
    assert.equal(remoteWithoutCredentials('https://bob:ghp_secret@github.com/team/app.git'), 'https://github.com/team/app.git');
    assert.equal(remoteWithoutCredentials('https://ghp_secret@github.com/team/app.git'), 'https://github.com/team/app.git');
  });

  it('drops the user of an ssh:// remote, and an @ in the password too', () => {
    assert.equal(remoteWithoutCredentials('ssh://git@host.example:2222/team/app.git'), 'ssh://host.example:2222/team/app.git');
    assert.equal(remoteWithoutCredentials('https://u:p@ss@host/x'), 'https://host/x');
  });

  it('keeps a remote without credentials as it is', () => {
    assert.equal(remoteWithoutCredentials('https://github.com/team/app.git'), 'https://github.com/team/app.git');
    assert.equal(remoteWithoutCredentials('git@github.com:team/app.git'), 'git@github.com:team/app.git');
  });

  it('gives nothing for an empty or spaced remote', () => {
    assert.equal(remoteWithoutCredentials('  '), undefined);
    assert.equal(remoteWithoutCredentials('https://x y'), undefined);
  });
});
