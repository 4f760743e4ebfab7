/** A RelaySession whose host only records: the datagrams it sends (decoded) and the tickets acknowledged. */
import assert from 'node:assert/strict';
import { RelaySession } from '../../src/client/session';
import { decodePacket } from '../../src/protocol/codec';
import type { Packet } from '../../src/protocol/types';

export type RelaySessionOptions = ConstructorParameters<typeof RelaySession>[1];

export function recordingSession(options: Partial<RelaySessionOptions> = {}) {
  const sent: Packet[] = [];
  const acknowledged: number[] = [];
  const relaySession = new RelaySession(
    {
      send: (datagram) => {
        const decoded = decodePacket(datagram);
        assert.ok(decoded.ok, 'the session sent a datagram that does not decode');
        sent.push(decoded.value);
      },
      deliver: () => {},
      acknowledged: (ticket) => acknowledged.push(ticket),
    },
    { name: 'alice', room: 'general', log: () => {}, ...options },
  );
  return { relaySession, sent, acknowledged };
}
