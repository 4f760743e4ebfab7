import assert from 'node:assert/strict';
import { REJOIN_HOLD_MS, Roster } from '../../../src/client/roster';
import { MemberFlag } from '../../../src/protocol/types';

const T0 = 5000;
const alice = { id: 1, name: 'alice', flags: 0 };
const bob = { id: 2, name: 'bob', flags: 0 };
const carol = { id: 3, name: 'carol', flags: MemberFlag.Legacy };

describe('client/roster', () => {
  it('takes the first member list as it is, holding nothing', () => {
    const roster = new Roster();
    assert.deepEqual(roster.replace([alice, carol], false, T0), { joined: [], left: [] });
    assert.deepEqual(roster.list, [{ id: 1, name: 'alice', legacy: false }, { id: 3, name: 'carol', legacy: true }]);
    assert.equal(roster.holdUntil, undefined);
  });

  it('after a rejoin, tells who left and joined by name, and holds the outbox for those not back yet', () => {
    const roster = new Roster();
    roster.replace([alice, bob], false, T0);
    const changes = roster.replace([{ ...alice, id: 11 }, { ...carol, id: 13 }], true, T0 + 100);
    assert.deepEqual(changes.left.map((member) => member.name), ['bob']);
    assert.deepEqual(changes.joined.map((member) => member.name), ['carol']);
    assert.equal(roster.holdUntil, T0 + 100 + REJOIN_HOLD_MS);
  });

  it('releases the hold when the last awaited member is back', () => {
    const roster = new Roster();
    roster.replace([alice, bob], false, T0);
    roster.replace([{ ...alice, id: 11 }], true, T0);
    assert.deepEqual(roster.add({ ...carol, id: 13 }, 11), { member: { id: 13, name: 'carol', legacy: true }, released: false });
    assert.equal(roster.add({ ...bob, id: 12 }, 11)?.released, true);
    assert.equal(roster.holdUntil, undefined);
  });

  it('ignores a join of itself or of a member it knows', () => {
    const roster = new Roster();
    roster.replace([alice], false, T0);
    assert.equal(roster.add(alice, 9), undefined);
    assert.equal(roster.add(bob, 2), undefined);
  });

  it("keeps each member's announced key until it leaves or the list is replaced", () => {
    const roster = new Roster();
    const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);
    roster.replace([{ id: 1, name: 'ann', flags: 0, signingKey: key(1) }], false, 0);
    roster.add({ id: 3, name: 'cy', flags: 0, signingKey: key(3) }, 9);
    assert.deepEqual(roster.signingKey(1), key(1));
    assert.deepEqual(roster.signingKey(3), key(3));
    roster.remove(3);
    assert.equal(roster.signingKey(3), undefined);
    roster.replace([{ id: 4, name: 'dee', flags: 0 }], true, 0);
    assert.equal(roster.signingKey(1), undefined);
    assert.equal(roster.signingKey(4), undefined);
  });
});
