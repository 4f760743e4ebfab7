/**
 * `udp-chat join`'s known relays (SSH's known_hosts): a JSON object from "host:port" ("[v6]:port") to the fingerprint of the
 * relay identity first seen there. Written whole to a temporary file and renamed, mode 0600, so a crash never
 * leaves half a file and other users cannot rewrite whom we trust.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Bytes read at most: a file of thousands of relays is far below this; anything larger is not ours. */
const MAX_FILE_BYTES = 1024 * 1024;

/** The file's pins; a missing file is empty, a damaged one an error (never silently forgotten). */
export async function readKnownRelays(file: string): Promise<Map<string, string>> {
  let text: string;
  try {
    const handle = await fs.open(file, 'r');
    try {
      const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_FILE_BYTES) throw new Error(`${file} is larger than ${MAX_FILE_BYTES} bytes`);
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file} is not a JSON object`);
  const pins = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string') pins.set(key, value);
  }
  return pins;
}

export async function writeKnownRelays(file: string, pins: ReadonlyMap<string, string>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(Object.fromEntries(pins), null, 2)}\n`, { mode: 0o600 });
  await fs.rename(temporary, file);
}
