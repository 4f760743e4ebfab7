/** Small rules of Join: the name it suggests, where a room's passphrase is kept, which refusals concern it. */
import os from 'node:os';
import { formatHostPort } from '../protocol/address';
import { checkName } from '../protocol/names';

/** The relay refused the join because of the passphrase (wrong, or the room now needs one). */
export function isPassphraseRefusal(code: string): boolean {
  return code === 'wrong-passphrase' || code === 'passphrase-required';
}

/** SecretStorage key of a room's passphrase: per relay and room, so different teams' rooms never mix. */
export function passphraseSecretKey(host: string, port: number, room: string): string {
  return `udpChat.passphrase/${formatHostPort(host, port)}/${room}`;
}

/** The operating system's user name, when it is a valid chat name; else ''. */
export function defaultUserName(): string {
  try {
    const check = checkName(os.userInfo().username);
    return check.ok ? check.value : '';
  } catch {
    return '';
  }
}
