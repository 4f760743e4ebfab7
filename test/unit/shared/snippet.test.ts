import assert from 'node:assert/strict';
import { remoteWithoutCredentials } from '../../../src/shared/snippet';

/** One behaviour each: the remotes a repository may name, and what the room may be shown of them. */
const CASES: Array<[behaviour: string, pairs: Array<[remote: string, shown: string | undefined]>]> = [
  [
    'drops a user and token from an https remote',
    [
      ['https://ann:s3cret@example.com/team/app.git', 'https://example.com/team/app.git'],
      ['https://ghp_token@example.com/team/app.git', 'https://example.com/team/app.git'],
      ['https://bob:ghp_secret@github.com/team/app.git', 'https://github.com/team/app.git'],
      ['https://ghp_secret@github.com/team/app.git', 'https://github.com/team/app.git'],
    ],
  ],
  [
    'drops the user of an ssh:// remote, and an @ in the password too',
    [
      ['ssh://git@host.example:2222/team/app.git', 'ssh://host.example:2222/team/app.git'],
      ['https://u:p@ss@host/x', 'https://host/x'],
    ],
  ],
  [
    'keeps a remote without credentials, and an scp-like one, as it is',
    [
      ['https://github.com/team/app.git', 'https://github.com/team/app.git'],
      ['git@github.com:team/app.git', 'git@github.com:team/app.git'],
      ['git@example.com:team/app.git', 'git@example.com:team/app.git'],
    ],
  ],
  [
    'gives nothing for an empty or spaced remote',
    [
      ['  ', undefined],
      ['https://x y', undefined],
    ],
  ],
];

describe('remoteWithoutCredentials', () => {
  for (const [behaviour, pairs] of CASES) {
    it(behaviour, () => {
      for (const [remote, shown] of pairs) assert.equal(remoteWithoutCredentials(remote), shown, remote);
    });
  }
});
