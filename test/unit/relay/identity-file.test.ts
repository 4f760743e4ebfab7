import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { relayFingerprint } from '../../../src/protocol/relay-identity';
import { loadRelayIdentity } from '../../../src/relay/identity-file';

describe('relay/identity-file', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-identity-file-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a missing file (and its folder) readable by its owner only, then reads the same identity back', async () => {
    const file = path.join(dir, 'nested', 'relay-identity.key');
    const created = await loadRelayIdentity(file);
    assert.equal(created.created, true);
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    const again = await loadRelayIdentity(file);
    assert.equal(again.created, false);
    assert.equal(relayFingerprint(again.identity.publicKey), relayFingerprint(created.identity.publicKey));
  });

  it('refuses a file that does not hold an identity rather than replacing it', async () => {
    const file = path.join(dir, 'relay-identity.key');
    fs.writeFileSync(file, 'not a key\n');
    await assert.rejects(loadRelayIdentity(file), /does not hold a relay identity/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a key\n');
  });
});
