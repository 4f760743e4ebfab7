/**
 * The relay's identity on disk: one line, the hex of the Ed25519 seed, in a file only its owner may read (0600).
 * A missing file is created with a new identity; anything else that cannot be read is an error, never silently
 * replaced (a new identity makes every client that pinned the old one refuse this relay).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRelayIdentity, RELAY_IDENTITY_KEY_BYTES, relayIdentityFromSeed, relayIdentitySeed, type RelayIdentity } from '../protocol/relay-identity';

/** Reads the identity in `file`, or creates the file with a new one; `created` says which. */
export async function loadRelayIdentity(file: string): Promise<{ identity: RelayIdentity; created: boolean }> {
  let text: string | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const hex = text.trim();
    if (!new RegExp(`^[0-9a-f]{${RELAY_IDENTITY_KEY_BYTES * 2}}$`, 'i').test(hex)) throw new Error(`${file} does not hold a relay identity`);
    return { identity: relayIdentityFromSeed(Buffer.from(hex, 'hex')), created: false };
  }
  const identity = createRelayIdentity();
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // 'wx': two relays starting at once must not overwrite each other's new identity.
  try {
    await fs.writeFile(file, `${Buffer.from(relayIdentitySeed(identity)).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadRelayIdentity(file);
    throw error;
  }
  return { identity, created: true };
}
