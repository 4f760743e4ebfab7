/**
 * Where the relay keeps its data when `--data DIR` is not given: the per-user folder each platform sets aside for
 * state that should survive restarts but is not a document (XDG's state home on Linux and other Unixes).
 */
import os from 'node:os';
import path from 'node:path';

const APP_FOLDER = 'udp-chat';
/** The relay's history file inside its data folder. */
export const RELAY_HISTORY_FILE = 'relay-history.sqlite';

export interface DataDirEnvironment {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
}

const processEnvironment = (): DataDirEnvironment => ({
  platform: process.platform,
  env: process.env,
  homedir: os.homedir(),
});

/** $XDG_STATE_HOME/udp-chat (default ~/.local/state/udp-chat); macOS Application Support; Windows %LOCALAPPDATA%. */
export function defaultDataDir(environment: DataDirEnvironment = processEnvironment()): string {
  const { platform, env, homedir } = environment;
  switch (platform) {
    case 'win32': {
      const local = absoluteOrUndefined(env['LOCALAPPDATA'], path.win32);
      return path.win32.join(local ?? path.win32.join(homedir, 'AppData', 'Local'), APP_FOLDER);
    }
    case 'darwin':
      return path.posix.join(homedir, 'Library', 'Application Support', APP_FOLDER);
    default: {
      // The XDG spec says a relative value is invalid and must be ignored.
      const state = absoluteOrUndefined(env['XDG_STATE_HOME'], path.posix);
      return path.posix.join(state ?? path.posix.join(homedir, '.local', 'state'), APP_FOLDER);
    }
  }
}

/** The history file of a relay whose data folder is `dataDir`. */
export function relayHistoryPath(dataDir: string): string {
  return path.join(dataDir, RELAY_HISTORY_FILE);
}

function absoluteOrUndefined(value: string | undefined, flavour: path.PlatformPath): string | undefined {
  return value !== undefined && value !== '' && flavour.isAbsolute(value) ? value : undefined;
}
