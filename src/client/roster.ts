/**
 * Who is in the room, by member id, and after a rejoin whom the outbox still waits for. Pure: time comes in as an
 * argument (ms, monotonic).
 */
import type { MemberInfo } from '../protocol/payload';
import { MemberFlag } from '../protocol/types';
import type { ChatMember } from './types';

/**
 * After a rejoin that finds members of before missing (the relay restarted and they are not back yet), what the
 * user typed meanwhile waits for them this long (ms) at most: sent at once it would reach an empty room. A member
 * still running hears of the new relay within a heartbeat interval (2 s) and is back within its join backoff (2 s).
 */
export const REJOIN_HOLD_MS = 5000;

export interface RosterChanges {
  joined: ChatMember[];
  left: ChatMember[];
}

export class Roster {
  readonly #members = new Map<number, ChatMember>();
  /** Sealed rooms: each member's key as the relay announced it; a sealed message must be signed by it. */
  readonly #signingKeys = new Map<number, Uint8Array>();
  readonly #awaited = new Set<string>();
  #holdUntil: number | undefined;

  get list(): ChatMember[] {
    return [...this.#members.values()];
  }

  get(id: number): ChatMember | undefined {
    return this.#members.get(id);
  }

  /** The member key of member `id`, or undefined (unknown member, or an open room). */
  signingKey(id: number): Uint8Array | undefined {
    return this.#signingKeys.get(id);
  }

  /** Until when (ms) the outbox waits for members of before, or undefined when it need not wait. */
  get holdUntil(): number | undefined {
    return this.#holdUntil;
  }

  /**
   * The relay's member list (it completes a join). After a rejoin, returns what changed while we were away, by
   * name (ids change when the relay restarts), and holds the outbox for members of before not back yet.
   */
  replace(members: readonly MemberInfo[], rejoined: boolean, now: number): RosterChanges {
    const previous = [...this.#members.values()];
    this.#members.clear();
    this.#signingKeys.clear();
    for (const info of members) this.#set(info);
    this.#awaited.clear();
    this.#holdUntil = undefined;
    if (!rejoined) return { joined: [], left: [] };
    const before = new Set(previous.map((member) => member.name));
    const after = new Set([...this.#members.values()].map((member) => member.name));
    const left = previous.filter((member) => !after.has(member.name));
    const joined = [...this.#members.values()].filter((member) => !before.has(member.name));
    for (const member of left) this.#awaited.add(member.name);
    if (this.#awaited.size > 0) this.#holdUntil = now + REJOIN_HOLD_MS;
    return { joined, left };
  }

  /** A member joined. Undefined when it is already known or is `self`; `released`: the last awaited one is back. */
  add(info: MemberInfo, self: number): { member: ChatMember; released: boolean } | undefined {
    if (this.#members.has(info.id) || info.id === self) return undefined;
    const member = this.#set(info);
    const released = this.#awaited.delete(member.name) && this.#awaited.size === 0 && this.#holdUntil !== undefined;
    if (released) this.#holdUntil = undefined;
    return { member, released };
  }

  remove(id: number): ChatMember | undefined {
    const member = this.#members.get(id);
    if (member) this.#members.delete(id);
    this.#signingKeys.delete(id);
    return member;
  }

  #set(info: MemberInfo): ChatMember {
    const member = toMember(info);
    this.#members.set(member.id, member);
    if (info.signingKey) this.#signingKeys.set(member.id, info.signingKey);
    return member;
  }

  /** Stops holding the outbox (the hold ran out, or the session ended). */
  release(): void {
    this.#awaited.clear();
    this.#holdUntil = undefined;
  }
}

function toMember(info: MemberInfo): ChatMember {
  return { id: info.id, name: info.name, legacy: (info.flags & MemberFlag.Legacy) !== 0 };
}
