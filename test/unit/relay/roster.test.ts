import assert from 'node:assert/strict';
import { decodePacket } from '../../../src/protocol/codec';
import { createHopKeyPair, deriveHopKeys } from '../../../src/protocol/hop-auth';
import { ErrorCode, PacketType } from '../../../src/protocol/types';
import { ERROR_REPLY_BURST } from '../../../src/relay/limits';
import { CoreNet, WirePeer } from '../../support/relay-peer';

/** A heartbeat naming a session the relay does not know: it asks for an "unknown session" answer. */
function orphanHeartbeat(signed: boolean): Uint8Array {
  const orphan = new WirePeer('orphan');
  orphan.memberId = 1234;
  // Signed as a client's is (with keys of a session the relay never had), or bare.
  if (signed) orphan.keys = deriveHopKeys(createHopKeyPair().privateKey, createHopKeyPair().publicKey, new Uint8Array(8));
  return orphan.heartbeat();
}

describe('relay/roster', () => {
  describe('error replies to unauthenticated datagrams', () => {
    it('answers with no more bytes than the datagram that asked, keeping the code', () => {
      const net = new CoreNet();
      const heartbeat = orphanHeartbeat(true);
      net.inject(heartbeat, '10.0.0.5', 9100);
      assert.equal(net.unrouted.length, 1);
      const reply = net.unrouted[0]?.datagram ?? new Uint8Array();
      assert.ok(reply.length <= heartbeat.length, `${reply.length} bytes answered ${heartbeat.length}`);
      const decoded = decodePacket(reply);
      assert.ok(decoded.ok && decoded.value.type === PacketType.Error);
      assert.equal(decoded.value.body.code, ErrorCode.UnknownSession);
    });

    it('sends nothing to a datagram too small to carry even the code, and counts it', () => {
      const net = new CoreNet();
      net.inject(orphanHeartbeat(false), '10.0.0.5', 9100);
      net.inject(Uint8Array.from([0x55, 0x43]), '10.0.0.5', 9101);
      assert.deepEqual(net.unrouted, []);
      assert.equal(net.counters['error-reply-too-large'], 1);
    });

    it('budgets error replies per IP address, whatever source port each datagram names', () => {
      const net = new CoreNet();
      const heartbeat = orphanHeartbeat(true);
      for (let i = 0; i < 20; i++) net.inject(heartbeat, '10.0.0.5', 9100 + i);
      assert.equal(net.unrouted.length, ERROR_REPLY_BURST);
      net.inject(heartbeat, '10.0.0.6', 9100);
      assert.equal(net.unrouted.length, ERROR_REPLY_BURST + 1, 'another address has its own budget');
    });
  });
});
