import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MembershipTable, addressKey, type JoinOutcome, type JoinRequest, type Member, type MembershipLimits } from '../../../src/relay/membership';
import { ErrorCode, MemberFlag } from '../../../src/protocol/types';

const TIMEOUT_MS = 10_000;
const LEGACY_TIMEOUT_MS = 600_000;

const LIMITS: MembershipLimits = { maxMembersPerRoom: 3, maxRooms: 2, memberTimeoutMs: TIMEOUT_MS, legacyTimeoutMs: LEGACY_TIMEOUT_MS };

/** Ids 1, 2, 3, ... unless a test says otherwise. */
function counter(): () => number {
  let next = 0;
  return () => ++next;
}

function table(limits: Partial<MembershipLimits> = {}, nextId = counter()): MembershipTable {
  return new MembershipTable({ ...LIMITS, ...limits }, nextId);
}

const nonce = (byte: number): Uint8Array => new Uint8Array(8).fill(byte);

let nextNonce = 1;
/** A join of `name` from 10.0.0.1:`port`, with a fresh client nonce unless one is given. */
function request(name: string, port: number, extra: Partial<JoinRequest> = {}): JoinRequest {
  return { name, room: 'general', host: '10.0.0.1', port, flags: 0, clientNonce: nonce(nextNonce++ & 0xff), ...extra };
}

/** The member a join created, confirmed as the relay confirms a member once it answers from its address. */
function joined(outcome: JoinOutcome): Member {
  if (outcome.kind !== 'joined') assert.fail(`expected joined, got ${JSON.stringify(outcome, (_, v: unknown) => (v instanceof Uint8Array ? '<bytes>' : v))}`);
  outcome.member.confirmed = true;
  return outcome.member;
}

function refusedWith(outcome: JoinOutcome): ErrorCode {
  if (outcome.kind !== 'refused') assert.fail(`expected refused, got ${outcome.kind}`);
  return outcome.code;
}

describe('relay/membership', () => {
  describe('addressKey', () => {
    it('writes host:port, bracketing IPv6 hosts', () => {
      assert.equal(addressKey('10.0.0.1', 5000), '10.0.0.1:5000');
      assert.equal(addressKey('::1', 5000), '[::1]:5000');
    });
  });

  describe('join and leave', () => {
    it('adds a member with an id, session 1 and the time it joined', () => {
      const members = table();
      const member = joined(members.join(request('ann', 5000), 100));
      assert.equal(member.id, 1);
      assert.equal(member.name, 'ann');
      assert.equal(member.room, 'general');
      assert.equal(member.address, '10.0.0.1:5000');
      assert.equal(member.session, 1);
      assert.equal(member.joinedAt, 100);
      assert.equal(member.lastHeardAt, 100);
      assert.equal(members.get(member.id), member);
      assert.equal(members.getByAddress('10.0.0.1', 5000), member);
      assert.equal(members.size, 1);
    });

    it('lists a room\'s members in join order and counts members per room', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      const bob = joined(members.join(request('bob', 2), 0));
      const cid = joined(members.join(request('cid', 3, { room: 'other' }), 0));
      assert.deepEqual(members.roomMembers('general'), [ann, bob]);
      assert.deepEqual(members.roomMembers('other'), [cid]);
      assert.deepEqual(members.roomMembers('nowhere'), []);
      assert.deepEqual(members.rooms(), new Map([['general', 2], ['other', 1]]));
      assert.deepEqual([...members.all()], [ann, bob, cid]);
    });

    it('removes a member who leaves, with its address and name', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      assert.equal(members.leave(ann.id), ann);
      assert.equal(members.get(ann.id), undefined);
      assert.equal(members.getByAddress('10.0.0.1', 1), undefined);
      assert.equal(members.size, 0);
      joined(members.join(request('ann', 2), 0));
    });

    it('forgets a room when its last member leaves', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1, { room: 'r' }), 0));
      assert.equal(members.roomCount, 1);
      members.leave(ann.id);
      assert.equal(members.roomCount, 0);
      assert.deepEqual(members.rooms(), new Map());
    });

    it('returns undefined for a member who is not there', () => {
      assert.equal(table().leave(42), undefined);
    });

    it('keeps members of the same address with different ports apart', () => {
      const members = table();
      const a = joined(members.join(request('ann', 1), 0));
      const b = joined(members.join(request('bob', 2), 0));
      assert.notEqual(a.id, b.id);
      assert.equal(members.size, 2);
    });
  });

  describe('names', () => {
    it('refuses a name already taken in the room', () => {
      const members = table();
      joined(members.join(request('ann', 1), 0));
      assert.equal(refusedWith(members.join(request('ann', 2), 0)), ErrorCode.NameTaken);
      assert.equal(members.size, 1);
    });

    it('refuses a name that differs only in case', () => {
      const members = table();
      joined(members.join(request('Ann', 1), 0));
      assert.equal(refusedWith(members.join(request('aNN', 2), 0)), ErrorCode.NameTaken);
    });

    it('refuses a composed spelling of a decomposed name', () => {
      const members = table();
      joined(members.join(request('Zoe\u0308', 1), 0));
      assert.equal(refusedWith(members.join(request('Zo\u00eb', 2), 0)), ErrorCode.NameTaken);
    });

    it('says which name is taken', () => {
      const members = table();
      joined(members.join(request('Ann', 1), 0));
      const outcome = members.join(request('ann', 2), 0);
      assert.match(outcome.kind === 'refused' ? outcome.message : '', /"Ann" is taken in room "general"/);
    });

    it('allows the same name in different rooms', () => {
      const members = table();
      const a = joined(members.join(request('ann', 1, { room: 'a' }), 0));
      const b = joined(members.join(request('ann', 2, { room: 'b' }), 0));
      assert.notEqual(a.id, b.id);
    });

    it('frees a name when its member leaves', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      members.leave(ann.id);
      joined(members.join(request('ANN', 2), 0));
    });
  });

  describe('unconfirmed members', () => {
    it('gives the name of a member that never confirmed its address to the next join asking for it', () => {
      const members = table();
      const outcome = members.join(request('ann', 1), 0);
      assert.equal(outcome.kind, 'joined');
      const phantom = (outcome as { member: Member }).member;
      const next = members.join(request('ann', 2), 10);
      assert.equal(next.kind, 'joined');
      assert.deepEqual((next as { displaced: Member[] }).displaced, [phantom]);
      assert.equal(members.get(phantom.id), undefined);
      assert.equal(members.size, 1);
    });

    it('holds the name once the member is confirmed', () => {
      const members = table();
      const ann = (members.join(request('ann', 1), 0) as { member: Member }).member;
      members.confirm(ann);
      assert.equal(refusedWith(members.join(request('ann', 2), 10)), ErrorCode.NameTaken);
    });

    it('counts a displaced unconfirmed holder as gone when checking room capacity', () => {
      const members = table({ maxMembersPerRoom: 1 });
      members.join(request('ann', 1), 0);
      assert.equal(members.join(request('ann', 2), 0).kind, 'joined');
    });
  });

  describe('resume', () => {
    it('lets a join that proved it owns the session take over the member from a new address', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      const outcome = members.join(request('ann', 2, { resumeOf: ann.id, clientNonce: nonce(0xee) }), 500);
      assert.equal(outcome.kind, 'resumed');
      const member = (outcome as { member: Member }).member;
      assert.equal(member, ann);
      assert.equal(member.id, ann.id);
      assert.equal(member.address, '10.0.0.1:2');
      assert.equal(member.port, 2);
      assert.equal(member.session, 2);
      assert.equal(member.lastHeardAt, 500);
      assert.equal(member.joinedAt, 0);
      assert.deepEqual(member.clientNonce, nonce(0xee));
      assert.equal(members.getByAddress('10.0.0.1', 1), undefined);
      assert.equal(members.getByAddress('10.0.0.1', 2), ann);
      assert.equal(members.size, 1);
    });

    it('increments the session on every takeover', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      members.join(request('ann', 2, { resumeOf: ann.id }), 0);
      const outcome = members.join(request('ann', 3, { resumeOf: ann.id }), 0);
      assert.equal((outcome as { member: Member }).member.session, 3);
    });

    it('resumes under the name as first spelled, whatever the case of the rejoin', () => {
      const members = table();
      const ann = joined(members.join(request('Ann', 1), 0));
      const outcome = members.join(request('ann', 2, { resumeOf: ann.id }), 0);
      assert.equal((outcome as { member: Member }).member.name, 'Ann');
    });

    it('refuses a takeover proven for another member', () => {
      const members = table();
      joined(members.join(request('ann', 1), 0));
      const bob = joined(members.join(request('bob', 3), 0));
      assert.equal(refusedWith(members.join(request('ann', 2, { resumeOf: bob.id }), 0)), ErrorCode.NameTaken);
    });

    it('refuses a takeover without proof', () => {
      const members = table();
      joined(members.join(request('ann', 1), 0));
      assert.equal(refusedWith(members.join(request('ann', 2), 0)), ErrorCode.NameTaken);
    });

    it('never lets anyone take over a legacy member', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1, { flags: MemberFlag.Legacy }), 0));
      assert.equal(refusedWith(members.join(request('ann', 2, { resumeOf: ann.id }), 0)), ErrorCode.NameTaken);
    });

    it('displaces another member who held the address it resumes from', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      const bob = joined(members.join(request('bob', 2), 0));
      const outcome = members.join(request('ann', 2, { resumeOf: ann.id }), 0);
      assert.equal(outcome.kind, 'resumed');
      assert.deepEqual((outcome as { displaced: Member[] }).displaced, [bob]);
      assert.equal(members.get(bob.id), undefined);
      assert.equal(members.getByAddress('10.0.0.1', 2), ann);
    });

    it('resumes in place when the member rejoins from its own address', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      const outcome = members.join(request('ann', 1, { resumeOf: ann.id }), 0);
      assert.deepEqual(outcome, { kind: 'resumed', member: ann, displaced: [] });
      assert.equal(members.getByAddress('10.0.0.1', 1), ann);
    });
  });

  describe('repeated joins', () => {
    it('answers a join repeated from the same address with the same client nonce, changing nothing', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1, { clientNonce: nonce(5) }), 0));
      const outcome = members.join(request('ann', 1, { clientNonce: nonce(5) }), 900);
      assert.deepEqual(outcome, { kind: 'repeated', member: ann });
      assert.equal(ann.session, 1);
      assert.equal(members.size, 1);
    });

    it('does not treat the same nonce from another address as a repeat', () => {
      const members = table();
      joined(members.join(request('ann', 1, { clientNonce: nonce(5) }), 0));
      joined(members.join(request('bob', 2, { clientNonce: nonce(5) }), 0));
    });

    it('does not treat a join without a nonce as a repeat', () => {
      const members = table();
      joined(members.join(request('ann', 1, { clientNonce: undefined }), 0));
      const outcome = members.join(request('bob', 1, { clientNonce: undefined }), 0);
      assert.equal(outcome.kind, 'joined');
    });

    it('answers a repeat of a resumed join', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      members.join(request('ann', 2, { resumeOf: ann.id, clientNonce: nonce(7) }), 0);
      assert.equal(members.join(request('ann', 2, { resumeOf: ann.id, clientNonce: nonce(7) }), 0).kind, 'repeated');
    });
  });

  describe('displacement', () => {
    it('replaces the member at an address by a new join from it', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      const outcome = members.join(request('bob', 1), 0);
      assert.equal(outcome.kind, 'joined');
      assert.deepEqual((outcome as { displaced: Member[] }).displaced, [ann]);
      assert.equal(members.get(ann.id), undefined);
      assert.equal(members.size, 1);
      assert.deepEqual(members.roomMembers('general').map((member) => member.name), ['bob']);
    });

    it('replaces the member at an address even when the new join takes the same name without proof', () => {
      // A client restarted on the same port: its old session is stale, not a name holder to protect.
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      const outcome = members.join(request('ann', 1), 0);
      assert.equal(outcome.kind, 'joined');
      assert.deepEqual((outcome as { displaced: Member[] }).displaced, [ann]);
      assert.notEqual((outcome as { member: Member }).member.id, ann.id);
      assert.equal(members.size, 1);
    });

    it('replaces a legacy member at an address by a new join of the same name from it', () => {
      const members = table();
      const old = joined(members.join(request('ann', 1, { flags: MemberFlag.Legacy }), 0));
      const outcome = members.join(request('ann', 1), 0);
      assert.deepEqual(outcome.kind === 'joined' && outcome.displaced, [old]);
    });

    it('moves the member at an address to another room', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      const outcome = members.join(request('ann', 1, { room: 'other' }), 0);
      assert.deepEqual(outcome.kind === 'joined' && outcome.displaced, [ann]);
      assert.deepEqual(members.rooms(), new Map([['other', 1]]));
    });
  });

  describe('capacity', () => {
    it('refuses a member beyond the room limit', () => {
      const members = table();
      for (const [i, name] of ['a', 'b', 'c'].entries()) joined(members.join(request(name, i + 1), 0));
      assert.equal(refusedWith(members.join(request('d', 4), 0)), ErrorCode.RoomFull);
      assert.equal(members.size, 3);
    });

    it('lets a member of a full room rejoin under a new name from its address', () => {
      const members = table();
      for (const [i, name] of ['a', 'b', 'c'].entries()) joined(members.join(request(name, i + 1), 0));
      const outcome = members.join(request('c2', 3), 0);
      assert.equal(outcome.kind, 'joined');
      assert.equal(members.roomMembers('general').length, 3);
    });

    it('still admits members to other rooms when one is full', () => {
      const members = table();
      for (const [i, name] of ['a', 'b', 'c'].entries()) joined(members.join(request(name, i + 1), 0));
      joined(members.join(request('d', 4, { room: 'other' }), 0));
    });

    it('refuses a new room beyond the relay limit', () => {
      const members = table();
      joined(members.join(request('a', 1, { room: 'r1' }), 0));
      joined(members.join(request('b', 2, { room: 'r2' }), 0));
      assert.equal(refusedWith(members.join(request('c', 3, { room: 'r3' }), 0)), ErrorCode.RelayFull);
      assert.equal(members.roomCount, 2);
    });

    it('admits members to existing rooms when the relay holds its limit of rooms', () => {
      const members = table();
      joined(members.join(request('a', 1, { room: 'r1' }), 0));
      joined(members.join(request('b', 2, { room: 'r2' }), 0));
      joined(members.join(request('c', 3, { room: 'r2' }), 0));
    });

    it('lets the only member of a room move to a new room when the relay is full', () => {
      const members = table();
      joined(members.join(request('a', 1, { room: 'r1' }), 0));
      joined(members.join(request('b', 2, { room: 'r2' }), 0));
      joined(members.join(request('a', 1, { room: 'r3' }), 0));
      assert.deepEqual([...members.rooms().keys()].sort(), ['r2', 'r3']);
    });

    it('does not let a member of a shared room open a new room when the relay is full', () => {
      const members = table();
      joined(members.join(request('a', 1, { room: 'r1' }), 0));
      joined(members.join(request('b', 2, { room: 'r1' }), 0));
      joined(members.join(request('c', 3, { room: 'r2' }), 0));
      assert.equal(refusedWith(members.join(request('a', 1, { room: 'r3' }), 0)), ErrorCode.RelayFull);
      assert.ok(members.get(1), 'the refused member keeps its session');
    });
  });

  describe('timeouts', () => {
    it('evicts a member silent for exactly the member timeout, not a millisecond sooner', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 1000));
      assert.deepEqual(members.expire(1000 + TIMEOUT_MS - 1), []);
      assert.deepEqual(members.expire(1000 + TIMEOUT_MS), [ann]);
      assert.equal(members.size, 0);
      assert.equal(members.roomCount, 0);
      assert.equal(members.getByAddress('10.0.0.1', 1), undefined);
    });

    it('counts silence from the last time the member was heard', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      members.touch(ann, 6000);
      assert.deepEqual(members.expire(TIMEOUT_MS), []);
      assert.deepEqual(members.expire(6000 + TIMEOUT_MS), [ann]);
    });

    it('gives a legacy member the legacy timeout', () => {
      const members = table();
      const old = joined(members.join(request('old', 1, { flags: MemberFlag.Legacy }), 0));
      const ann = joined(members.join(request('ann', 2), 0));
      assert.deepEqual(members.expire(TIMEOUT_MS), [ann]);
      assert.deepEqual(members.expire(LEGACY_TIMEOUT_MS - 1), []);
      assert.deepEqual(members.expire(LEGACY_TIMEOUT_MS), [old]);
    });

    it('counts silence from a resume', () => {
      const members = table();
      const ann = joined(members.join(request('ann', 1), 0));
      members.join(request('ann', 2, { resumeOf: ann.id }), 5000);
      assert.deepEqual(members.expire(TIMEOUT_MS), []);
      assert.equal(members.nextExpiry(), 5000 + TIMEOUT_MS);
    });

    it('says when the next member times out, or undefined with no members', () => {
      const members = table();
      assert.equal(members.nextExpiry(), undefined);
      joined(members.join(request('old', 1, { flags: MemberFlag.Legacy }), 0));
      assert.equal(members.nextExpiry(), LEGACY_TIMEOUT_MS);
      const ann = joined(members.join(request('ann', 2), 300));
      assert.equal(members.nextExpiry(), 300 + TIMEOUT_MS);
      members.touch(ann, 900);
      assert.equal(members.nextExpiry(), 900 + TIMEOUT_MS);
      members.leave(ann.id);
      assert.equal(members.nextExpiry(), LEGACY_TIMEOUT_MS);
    });
  });

  describe('ids', () => {
    it('skips 0 and ids in use when the generator returns them', () => {
      const values = [0, 5, 5, 0, 5, 7, 2 ** 32, 5, 7, 9];
      const members = table({ maxMembersPerRoom: 10 }, () => values.shift() as number);
      const ids = ['a', 'b', 'c'].map((name, i) => joined(members.join(request(name, i + 1), 0)).id);
      assert.deepEqual(ids, [5, 7, 9]);
    });

    it('reuses an id only after its member has gone', () => {
      const members = table({}, () => 5);
      const ann = joined(members.join(request('ann', 1), 0));
      members.leave(ann.id);
      assert.equal(joined(members.join(request('bob', 2), 0)).id, 5);
    });

    it('keeps ids non-zero unsigned 32-bit values', () => {
      const values = [-1, 2 ** 32 + 3];
      const members = table({}, () => values.shift() as number);
      assert.equal(joined(members.join(request('a', 1), 0)).id, 0xffff_ffff);
      assert.equal(joined(members.join(request('b', 2), 0)).id, 3);
    });

    it('hands out unique non-zero ids whatever the generator repeats', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 40 }), (noise) => {
          // Noise first, then a fresh value every time, so every join can eventually succeed.
          let fresh = 100;
          const queue = [...noise];
          const members = table({ maxMembersPerRoom: 64 }, () => (queue.length > 0 ? (queue.shift() as number) : fresh++));
          const ids = Array.from({ length: 8 }, (_, i) => joined(members.join(request(`m${i}`, i + 1), 0)).id);
          assert.ok(ids.every((id) => id !== 0));
          assert.equal(new Set(ids).size, ids.length);
        }),
        { numRuns: 300 },
      );
    });
  });

  it('keeps its indexes consistent through any sequence of joins, leaves and expiries', () => {
    const operation = fc.oneof(
      fc.record(
        { op: fc.constant('join' as const), name: fc.constantFrom('a', 'A', 'b', 'c'), room: fc.constantFrom('r1', 'r2', 'r3'), port: fc.integer({ min: 1, max: 4 }), token: fc.integer({ min: 0, max: 20 }), nonce: fc.integer({ min: 1, max: 3 }), legacy: fc.boolean() },
        { noNullPrototype: true },
      ),
      fc.record({ op: fc.constant('leave' as const), id: fc.integer({ min: 1, max: 20 }) }, { noNullPrototype: true }),
      fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 12_000 }) }, { noNullPrototype: true }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
        const members = table({ maxMembersPerRoom: 2, maxRooms: 2 });
        let now = 0;
        for (const step of operations) {
          if (step.op === 'join') {
            members.join(
              { name: step.name, room: step.room, host: 'h', port: step.port, flags: step.legacy ? MemberFlag.Legacy : 0, clientNonce: nonce(step.nonce), resumeOf: step.token },
              now,
            );
          } else if (step.op === 'leave') {
            members.leave(step.id);
          } else {
            now += step.ms;
            members.expire(now);
          }
          const all = [...members.all()];
          assert.equal(all.length, members.size);
          assert.ok(members.roomCount <= 2);
          const rooms = members.rooms();
          assert.equal([...rooms.values()].reduce((sum, count) => sum + count, 0), members.size);
          for (const [room, count] of rooms) {
            assert.ok(count >= 1 && count <= 2, `room ${room} has ${count}`);
            const names = members.roomMembers(room).map((member) => member.name.toLowerCase());
            assert.equal(new Set(names).size, names.length, 'a name twice in a room');
          }
          for (const member of all) {
            assert.equal(members.getByAddress(member.host, member.port), member, 'address index out of date');
            assert.equal(members.get(member.id), member);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
