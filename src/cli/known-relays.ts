/**
 * `udp-chat join`'s known relays (SSH's known_hosts): a JSON object from "host:port" ("[v6]:port") to the fingerprint of the
 * relay identity first seen there. Written whole to a temporary file and renamed, mode 0600, so a crash never
 * leaves half a file and other users cannot rewrite whom we trust.
 */
import { readJsonFile, writeFileAtomically } from '../files/json-file';

/** Bytes read at most: a file of thousands of relays is far below this; anything larger is not ours. */
const MAX_FILE_BYTES = 1024 * 1024;

/** The file's pins; a missing file is empty, a damaged one an error (never silently forgotten). */
export async function readKnownRelays(file: string): Promise<Map<string, string>> {
  const parsed = await readJsonFile(file, MAX_FILE_BYTES);
  if (parsed === undefined) return new Map();
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file} is not a JSON object`);
  const pins = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string') pins.set(key, value);
  }
  return pins;
}

export async function writeKnownRelays(file: string, pins: ReadonlyMap<string, string>): Promise<void> {
  await writeFileAtomically(file, `${JSON.stringify(Object.fromEntries(pins), null, 2)}\n`);
}
