import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLIENT_NONCE_BYTES, controlHeader, decodePacket, encodeControl, peekType } from '../../../src/protocol/codec';
import { PREVIOUS_PROTOCOL_VERSION } from '../../../src/protocol/constants';
import { createHopKeyPair } from '../../../src/protocol/hop-auth';
import { decodeOlderError } from '../../../src/protocol/older-version';
import type { RoomKeys } from '../../../src/protocol/room-crypto';
import { ErrorCode, ExtensionTag, PacketType } from '../../../src/protocol/types';
import { COOKIE_SLOT_MS, CookieJar } from '../../../src/relay/cookie';
import { loadRelayIdentity } from '../../../src/relay/identity-file';
import { CoreNet, WirePeer } from '../../support/relay-peer';
import { testRoomKeys } from '../../support/room-keys';

/** A forger's address, never the same /24 twice (i < 65,536): no per-subnet cap can be what stops it. */
const spoofed = (i: number) => ({ host: `10.${100 + (i >> 8)}.${i & 0xff}.7`, port: 20_000 + i });

/** A Join built by hand, with the extensions given (a hop key unless told otherwise). */
function handJoin(clientNonce: Uint8Array, extensions: Map<number, Uint8Array>, name = 'eve', room = 'general'): Uint8Array {
  return encodeControl({ ...controlHeader(PacketType.Join, 0), body: { clientNonce, name, room, extensions } });
}

const hopKey = (): Map<number, Uint8Array> => new Map([[ExtensionTag.HopPublicKey, createHopKeyPair().publicKey]]);

describe('relay/core: address validation before state', () => {
  let rightKeys: RoomKeys;
  let wrongKeys: RoomKeys;
  before(async () => {
    [rightKeys, wrongKeys] = await Promise.all([testRoomKeys('correct horse battery', 'vault'), testRoomKeys('squatter', 'vault')]);
  });

  it('answers a Join without a cookie with a Challenge no larger than the Join, and creates nothing', () => {
    const net = new CoreNet();
    const source = spoofed(0);
    // The smallest Join a relay can admit: one-letter name and room, the hop key.
    const join = handJoin(new Uint8Array(CLIENT_NONCE_BYTES).fill(3), hopKey(), 'e', 'g');
    net.inject(join, source.host, source.port);
    assert.equal(net.unrouted.length, 1);
    const answer = net.unrouted[0]?.datagram as Uint8Array;
    assert.equal(peekType(answer), PacketType.Challenge);
    assert.ok(answer.length <= join.length, `a ${answer.length}-byte Challenge answered a ${join.length}-byte Join`);
    assert.equal(net.core.memberCount, 0);
    assert.equal(net.counters['join-verified'], undefined);
  });

  it('hands out a room salt per room that a restart with the same identity file keeps and another identity changes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-room-salt-'));
    try {
      const file = path.join(dir, 'relay.key');
      const saltOf = (net: CoreNet, room: string): Uint8Array => {
        const source = spoofed(net.unrouted.length);
        net.inject(handJoin(new Uint8Array(CLIENT_NONCE_BYTES).fill(1), hopKey(), 'eve', room), source.host, source.port);
        const challenge = decodePacket(net.unrouted.at(-1)?.datagram as Uint8Array);
        assert.ok(challenge.ok && challenge.value.type === PacketType.Challenge);
        return challenge.value.body.roomSalt;
      };
      const first = new CoreNet({ identity: (await loadRelayIdentity(file)).identity });
      const general = saltOf(first, 'general');
      assert.equal(general.length, 16);
      assert.notDeepEqual(saltOf(first, 'random'), general);
      assert.deepEqual(saltOf(first, 'general'), general);
      const restarted = new CoreNet({ identity: (await loadRelayIdentity(file)).identity });
      assert.deepEqual(saltOf(restarted, 'general'), general);
      const otherRelay = new CoreNet({ identity: (await loadRelayIdentity(path.join(dir, 'other.key'))).identity });
      assert.notDeepEqual(saltOf(otherRelay, 'general'), general);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends nothing to a Join smaller than its Challenge would be', () => {
    const net = new CoreNet();
    net.inject(handJoin(new Uint8Array(CLIENT_NONCE_BYTES), new Map(), 'e', 'g'), '10.0.9.9', 999);
    assert.equal(net.counters['challenge-suppressed'], 1);
    // Sentinel: the same address with a full Join is answered, so the silence above was the size rule.
    net.inject(handJoin(new Uint8Array(CLIENT_NONCE_BYTES), hopKey(), 'e', 'g'), '10.0.9.9', 999);
    assert.equal(net.unrouted.length, 1);
  });

  it('lets a member chat on after a cookie-less Join forged from its own address, into another room', () => {
    const net = new CoreNet();
    const alice = net.joined('alice');
    const bob = net.joined('bob');
    const mallory = new WirePeer('mallory', 'elsewhere');
    net.inject(mallory.join(), alice.host, alice.port);
    assert.deepEqual(net.leaves, []);
    assert.equal(net.counters['challenge-sent'], 3, 'the forged join was not challenged');
    // Sentinels both ways: alice still holds her session and her room.
    bob.sendText('still there?', net.now);
    net.flush();
    assert.deepEqual(alice.texts(), ['still there?']);
    alice.sendText('yes', net.now);
    net.flush();
    assert.deepEqual(bob.texts(), ['yes']);
    assert.deepEqual(net.leaves, []);
  });

  it('lets a client restarted at a member\'s address, once it answered the Challenge, take that member\'s place', () => {
    const net = new CoreNet();
    const alice = net.joined('alice');
    const restarted = net.add(new WirePeer('alice', 'general', undefined, alice.port));
    restarted.join();
    net.flush();
    assert.equal(restarted.challenges, 1);
    assert.deepEqual(net.leaves, [{ name: 'alice', reason: 'replaced' }]);
    assert.equal(restarted.welcomes.length, 1);
  });

  it('keeps 300 forged Joins from 300 subnets from costing a session, a slot or any public-key work', () => {
    const net = new CoreNet();
    for (let i = 0; i < 300; i++) {
      const source = spoofed(i);
      net.inject(new WirePeer(`bot${i}`).join(), source.host, source.port);
    }
    const carol = net.joined('carol');
    assert.deepEqual(carol.errors.map((error) => error.code), []);
    assert.equal(carol.welcomes.length, 1);
    assert.equal(net.core.memberCount, 1);
    assert.equal(net.core.rooms().size, 1);
    assert.equal(net.counters['challenge-sent'], 301);
    assert.equal(net.counters['join-verified'], 1, 'a forged join reached X25519 or Ed25519');
  });

  it('pins nothing for forged Joins into an empty sealed room every 5 s, so members with the passphrase get in', () => {
    const net = new CoreNet();
    for (let i = 0; i < 6; i++) {
      const source = spoofed(i);
      net.advanceTo(net.now + 5000);
      net.inject(new WirePeer('squatter', 'vault', wrongKeys).join(), source.host, source.port);
    }
    // The members come a second after the last forged Join, well inside any validation timeout.
    net.advanceTo(net.now + 1000);
    const ann = net.joined('ann', 'vault', rightKeys);
    const ben = net.joined('ben', 'vault', rightKeys);
    assert.deepEqual([...ann.errors, ...ben.errors], []);
    assert.deepEqual(net.joins.map((member) => member.name), ['ann', 'ben']);
  });

  it('challenges again a Join whose cookie was made for another address', () => {
    const cookies = new CookieJar();
    const net = new CoreNet({ cookies });
    const nonce = new Uint8Array(CLIENT_NONCE_BYTES).fill(5);
    const extensions = hopKey();
    extensions.set(ExtensionTag.Cookie, cookies.issue('10.1.1.1', 5000, nonce, net.now));
    net.inject(handJoin(nonce, extensions), '10.2.2.2', 5000);
    assert.equal(net.counters['join-cookie-forged'], 1);
    assert.equal(peekType(net.unrouted[0]?.datagram as Uint8Array), PacketType.Challenge);
    assert.equal(net.core.memberCount, 0);
    // Sentinel: the same cookie from the address it was made for is taken.
    net.inject(handJoin(nonce, extensions), '10.1.1.1', 5000);
    assert.equal(net.core.memberCount, 1);
  });

  it('challenges again a Join whose cookie is two slots old, and takes the fresh cookie', () => {
    const cookies = new CookieJar();
    const net = new CoreNet({ cookies });
    const nonce = new Uint8Array(CLIENT_NONCE_BYTES).fill(6);
    const extensions = hopKey();
    extensions.set(ExtensionTag.Cookie, cookies.issue('10.1.1.1', 5000, nonce, net.now - 2 * COOKIE_SLOT_MS));
    net.inject(handJoin(nonce, extensions), '10.1.1.1', 5000);
    assert.equal(net.counters['join-cookie-expired'], 1);
    assert.equal(net.core.memberCount, 0);
    const challenge = decodePacket(net.unrouted[0]?.datagram as Uint8Array);
    assert.ok(challenge.ok && challenge.value.type === PacketType.Challenge);
    extensions.set(ExtensionTag.Cookie, challenge.value.body.cookie);
    net.inject(handJoin(nonce, extensions), '10.1.1.1', 5000);
    assert.equal(net.core.memberCount, 1);
  });

  it('tells a client of the previous version, in that version and its Join\'s nonce, to upgrade', () => {
    const net = new CoreNet();
    const nonce = new Uint8Array(CLIENT_NONCE_BYTES).fill(9);
    // The smallest Join of that version: one-letter name and room, the hop key (75 bytes).
    const join = handJoin(nonce, hopKey(), 'e', 'g');
    join[2] = PREVIOUS_PROTOCOL_VERSION;
    net.inject(join, '10.3.3.3', 6000);
    const reply = net.unrouted[0]?.datagram as Uint8Array;
    assert.ok(reply.length <= join.length, `a ${reply.length}-byte reply to a ${join.length}-byte Join`);
    const error = decodeOlderError(reply);
    assert.ok(error);
    assert.equal(error.version, PREVIOUS_PROTOCOL_VERSION);
    assert.equal(error.body.code, ErrorCode.UnsupportedVersion);
    assert.deepEqual(error.body.clientNonce, nonce);
    assert.match(error.body.message, /upgrade UDP Chat: relay needs v3/);
    assert.equal(net.core.memberCount, 0);
    // A longer Join (a longer name) leaves room for the whole sentence.
    const longer = handJoin(nonce, hopKey(), 'evelyn-with-a-thirty-char-name', 'general');
    longer[2] = PREVIOUS_PROTOCOL_VERSION;
    net.inject(longer, '10.3.3.4', 6000);
    const full = decodeOlderError(net.unrouted[1]?.datagram as Uint8Array);
    assert.equal(full?.body.message, 'this relay needs UDP Chat with wire version 3: upgrade the client');
    assert.ok((net.unrouted[1]?.datagram.length as number) <= longer.length);
  });

  it('answers previous-version Joins from one address at most 8 at once', () => {
    const net = new CoreNet();
    const join = handJoin(new Uint8Array(CLIENT_NONCE_BYTES), hopKey(), 'eve', 'general');
    join[2] = PREVIOUS_PROTOCOL_VERSION;
    for (let i = 0; i < 20; i++) net.inject(join, '10.3.3.3', 6000);
    assert.equal(net.unrouted.length, 8);
  });
});
