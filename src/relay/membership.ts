/**
 * Who is in which room: a pure table keyed by relay-issued member ids, each bound to the address it joined from.
 * No sockets, no clock: time is an argument, ids come from an injected generator.
 */
import { nameKey } from '../protocol/names';
import { ErrorCode, MemberFlag } from '../protocol/types';

export interface Member {
  readonly id: number;
  readonly name: string;
  readonly room: string;
  /** `host:port` the member speaks from; datagrams claiming this member from elsewhere are dropped. */
  address: string;
  host: string;
  port: number;
  /** MemberFlag bits. */
  readonly flags: number;
  /** Sealed rooms: the member key its join proved, announced with it (it signs the member's messages). */
  readonly signingKey?: Uint8Array;
  /** The client nonce of the join that created the current session; a repeated join is answered again. */
  clientNonce: Uint8Array | undefined;
  /** Increases whenever a new session takes over the member (new channel, new keys). */
  session: number;
  readonly joinedAt: number;
  /**
   * True once the member proved it is really at its address (the relay saw it answer). An unconfirmed member holds
   * its name only until someone else asks for it: a replayed or spoofed join can never lock a name away.
   */
  confirmed: boolean;
  lastHeardAt: number;
}

export interface MembershipLimits {
  maxMembersPerRoom: number;
  maxRooms: number;
  /** Silence (ms) after which a member is evicted. */
  memberTimeoutMs: number;
  /** Silence (ms) after which a legacy member (no heartbeats) is evicted. */
  legacyTimeoutMs: number;
}

export interface JoinRequest {
  name: string;
  room: string;
  host: string;
  port: number;
  flags: number;
  clientNonce?: Uint8Array;
  signingKey?: Uint8Array;
  /**
   * The member whose session this join proved it owns (its tag verified with that session's key): such a join
   * takes the session over, e.g. after the client changed networks.
   */
  resumeOf?: number;
}

export type JoinOutcome =
  /** A new member. `displaced` lists members removed because they held the same address. */
  | { kind: 'joined'; member: Member; displaced: Member[] }
  /** The same join again (its answer was lost): answer it again, change nothing. */
  | { kind: 'repeated'; member: Member }
  /** The client's own earlier session, taken over by a new one (e.g. after it changed networks). */
  | { kind: 'resumed'; member: Member; displaced: Member[] }
  | { kind: 'refused'; code: ErrorCode; message: string };

export function addressKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class MembershipTable {
  readonly #limits: MembershipLimits;
  readonly #nextId: () => number;
  readonly #byId = new Map<number, Member>();
  readonly #byAddress = new Map<string, Member>();
  /** room -> (name key -> member) */
  readonly #rooms = new Map<string, Map<string, Member>>();

  constructor(limits: MembershipLimits, nextId: () => number) {
    this.#limits = limits;
    this.#nextId = nextId;
  }

  get size(): number {
    return this.#byId.size;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  get(id: number): Member | undefined {
    return this.#byId.get(id);
  }

  getByAddress(host: string, port: number): Member | undefined {
    return this.#byAddress.get(addressKey(host, port));
  }

  /** Members of a room, in join order. */
  roomMembers(room: string): Member[] {
    return [...(this.#rooms.get(room)?.values() ?? [])];
  }

  /** Member count per room. */
  rooms(): Map<string, number> {
    return new Map([...this.#rooms].map(([room, members]) => [room, members.size]));
  }

  all(): IterableIterator<Member> {
    return this.#byId.values();
  }

  join(request: JoinRequest, now: number): JoinOutcome {
    const address = addressKey(request.host, request.port);
    const key = nameKey(request.name);
    const atAddress = this.#byAddress.get(address);
    if (atAddress && request.clientNonce && sameBytes(atAddress.clientNonce, request.clientNonce)) {
      return { kind: 'repeated', member: atAddress };
    }
    const roomMembers = this.#rooms.get(request.room);
    const holder = roomMembers?.get(key);
    const resumable = holder !== undefined && request.resumeOf === holder.id && (holder.flags & MemberFlag.Legacy) === 0;
    // A holder at this very address is about to be displaced like any other member there, so its name is free.
    if (holder && !resumable && holder !== atAddress && holder.confirmed) {
      return { kind: 'refused', code: ErrorCode.NameTaken, message: `the name "${holder.name}" is taken in room "${request.room}"` };
    }
    const unconfirmedHolder = holder && !resumable && holder !== atAddress ? holder : undefined;
    if (holder && resumable) {
      const displaced = atAddress && atAddress !== holder ? [this.#remove(atAddress)] : [];
      this.#byAddress.delete(holder.address);
      holder.address = address;
      holder.host = request.host;
      holder.port = request.port;
      holder.clientNonce = request.clientNonce;
      holder.session++;
      holder.lastHeardAt = now;
      this.#byAddress.set(address, holder);
      return { kind: 'resumed', member: holder, displaced };
    }
    // Capacity is checked as if the member at this address had already gone, since it is about to.
    const leavingHere = (atAddress && atAddress.room === request.room ? 1 : 0) + (unconfirmedHolder ? 1 : 0);
    if (roomMembers && roomMembers.size - leavingHere >= this.#limits.maxMembersPerRoom) {
      return { kind: 'refused', code: ErrorCode.RoomFull, message: `room "${request.room}" is full (${this.#limits.maxMembersPerRoom} members)` };
    }
    const roomEmptiedHere = atAddress && this.#rooms.get(atAddress.room)?.size === 1 ? 1 : 0;
    if (!roomMembers && this.#rooms.size - roomEmptiedHere >= this.#limits.maxRooms) {
      return { kind: 'refused', code: ErrorCode.RelayFull, message: `this relay hosts its limit of ${this.#limits.maxRooms} rooms` };
    }
    const displaced = atAddress ? [this.#remove(atAddress)] : [];
    if (unconfirmedHolder) displaced.push(this.#remove(unconfirmedHolder));
    const member: Member = {
      id: this.#freshId(),
      name: request.name,
      room: request.room,
      address,
      host: request.host,
      port: request.port,
      flags: request.flags,
      ...(request.signingKey ? { signingKey: request.signingKey } : {}),
      clientNonce: request.clientNonce,
      session: 1,
      joinedAt: now,
      lastHeardAt: now,
      confirmed: (request.flags & MemberFlag.Legacy) !== 0,
    };
    this.#byId.set(member.id, member);
    this.#byAddress.set(address, member);
    let room = this.#rooms.get(request.room);
    if (!room) {
      room = new Map();
      this.#rooms.set(request.room, room);
    }
    room.set(key, member);
    return { kind: 'joined', member, displaced };
  }

  /** Records that a member proved its address; from now on it holds its name against other joins. */
  confirm(member: Member): void {
    member.confirmed = true;
  }

  /** Records that a member was heard from. */
  touch(member: Member, now: number): void {
    member.lastHeardAt = now;
  }

  /** Removes a member; returns it, or undefined when it was not there. */
  leave(id: number): Member | undefined {
    const member = this.#byId.get(id);
    return member ? this.#remove(member) : undefined;
  }

  /** Takes `ms` before `now` off every member's silence (the relay was not listening then). */
  excuseSilence(ms: number, now: number): void {
    if (!(ms > 0)) return;
    for (const member of this.#byId.values()) member.lastHeardAt = Math.min(now, member.lastHeardAt + ms);
  }

  /** Removes and returns the members silent for longer than their timeout. */
  expire(now: number): Member[] {
    const expired: Member[] = [];
    for (const member of this.#byId.values()) {
      if (now - member.lastHeardAt >= this.#timeoutOf(member)) expired.push(member);
    }
    for (const member of expired) this.#remove(member);
    return expired;
  }

  /** When `expire` will next have something to do, or undefined with no members. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const member of this.#byId.values()) {
      const at = member.lastHeardAt + this.#timeoutOf(member);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  #timeoutOf(member: Member): number {
    return member.flags & MemberFlag.Legacy ? this.#limits.legacyTimeoutMs : this.#limits.memberTimeoutMs;
  }

  #remove(member: Member): Member {
    this.#byId.delete(member.id);
    if (this.#byAddress.get(member.address) === member) this.#byAddress.delete(member.address);
    const room = this.#rooms.get(member.room);
    if (room) {
      room.delete(nameKey(member.name));
      if (room.size === 0) this.#rooms.delete(member.room);
    }
    return member;
  }

  #freshId(): number {
    // Ids are random so a stale datagram from an earlier member rarely names a new one; 0 is reserved.
    for (;;) {
      const id = this.#nextId() >>> 0;
      if (id !== 0 && !this.#byId.has(id)) return id;
    }
  }
}
