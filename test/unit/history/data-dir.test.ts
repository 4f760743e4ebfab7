import assert from 'node:assert/strict';
import { defaultDataDir, relayHistoryPath } from '../../../src/history/data-dir';

describe('history/data-dir', () => {
  it('uses $XDG_STATE_HOME/udp-chat on Linux when it is set to an absolute path', () => {
    const dir = defaultDataDir({ platform: 'linux', env: { XDG_STATE_HOME: '/srv/state' }, homedir: '/home/ada' });
    assert.equal(dir, '/srv/state/udp-chat');
  });

  it('falls back to ~/.local/state/udp-chat on Linux when XDG_STATE_HOME is unset, empty or relative', () => {
    for (const env of [{}, { XDG_STATE_HOME: '' }, { XDG_STATE_HOME: 'relative/state' }]) {
      assert.equal(defaultDataDir({ platform: 'linux', env, homedir: '/home/ada' }), '/home/ada/.local/state/udp-chat');
    }
  });

  it('uses Application Support on macOS', () => {
    const dir = defaultDataDir({ platform: 'darwin', env: { XDG_STATE_HOME: '/ignored' }, homedir: '/Users/ada' });
    assert.equal(dir, '/Users/ada/Library/Application Support/udp-chat');
  });

  it('uses %LOCALAPPDATA% on Windows, else AppData\\Local under the home folder', () => {
    const withLocal = { LOCALAPPDATA: 'D:\\Profiles\\ada\\Local' };
    assert.equal(
      defaultDataDir({ platform: 'win32', env: withLocal, homedir: 'C:\\Users\\ada' }),
      'D:\\Profiles\\ada\\Local\\udp-chat',
    );
    assert.equal(
      defaultDataDir({ platform: 'win32', env: {}, homedir: 'C:\\Users\\ada' }),
      'C:\\Users\\ada\\AppData\\Local\\udp-chat',
    );
  });

  it('keeps the relay history file inside the data folder', () => {
    assert.match(relayHistoryPath('/data'), /^\/data\/relay-history\.sqlite$/);
  });
});
