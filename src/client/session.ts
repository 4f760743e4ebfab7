/**
 * The client's side of one relay session, from Join to silence: the join attempts with back-off (held while a
 * sealed room's keys are derived with the salt of the relay's Challenge: the edge derives them), the Welcome,
 * the reliable channel, heartbeats and the verdicts that end a session (shutdown, silence, a restarted relay).
 * No socket and no clock: datagrams go out through `SessionHost.send`, time comes in as an argument (ms,
 * monotonic), and `nextWakeup()` says when `poll` must run next.
 */
import { formatHostPort } from '../protocol/address';
import { controlHeader, encodeControl, encodeFragment, fragmentOf } from '../protocol/codec';
import { ReliableChannel, type ReliabilityTuning } from '../protocol/reliability';
import type { RoomKeys } from '../protocol/room-crypto';
import { ErrorCode, Flag, PacketType, assertNever, errorCodeName, type ChallengeBody, type ErrorBody, type MessageFragment as Fragment, type PresenceCode, type WelcomeBody } from '../protocol/types';
import { Handshake } from './handshake';
import { JoinBackoff } from './join';
import { clampAnnouncedLimits, DEFAULT_ANNOUNCED_LIMITS, type AnnouncedLimits } from './limits';
import { Liveness, relayTimeoutMs } from './liveness';
import type { RelayIdentityOptions } from './types';

export interface SessionHost {
  send(datagram: Uint8Array): void;
  /** A fragment of the relay's, in order, exactly once. */
  deliver(fragment: Fragment): void;
  /** The relay acknowledged a ticket of `channel.send`. */
  acknowledged(ticket: number): void;
}

export interface SessionOptions {
  name: string;
  room: string;
  /** The room is sealed (a passphrase): challenged Joins wait for room keys derived with the Challenge's salt. */
  sealed?: boolean;
  joinRetryMs?: number;
  maxJoinRetryMs?: number;
  relayTimeoutMs?: number;
  reliability?: Partial<ReliabilityTuning>;
  /** The relay's address as the user gave it, for messages that name it. */
  relayHost?: string;
  relayPort?: number;
  relayIdentity?: RelayIdentityOptions;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

/**
 * Challenges answered at once per back-off step: a relay whose slot turned answers the Join with a new Challenge,
 * and one more Join fixes that; anything beyond waits for the back-off, so no datagram source can keep the client
 * sending Joins faster than its back-off.
 */
const MAX_IMMEDIATE_CHALLENGE_ANSWERS = 2;

/** Why a session ended by the relay's doing (the client rejoins), as ClientStateReason names it. */
export type SessionLoss = { reason: 'relay-shutdown' | 'relay-silent' | 'relay-restarted' | 'new-session'; detail: string };

/** What a datagram or the timer means for the client. */
export type SessionSignal =
  | { kind: 'none' }
  /** A Welcome was taken: the channel is open (the member list, through it, completes the join). */
  | { kind: 'welcomed' }
  /**
   * A sealed room's Challenge gave a salt we hold no keys for: derive them (off the thread) and hand them to
   * `roomKeysReady`; until then no Join goes out.
   */
  | { kind: 'derive'; roomSalt: Uint8Array }
  | ({ kind: 'lost' } & SessionLoss)
  /** The relay refused this join (its nonce proves the answer is to us): name taken, wrong passphrase, ... */
  | { kind: 'refused'; code: number; name: string; message: string }
  | { kind: 'rate-limited'; message: string }
  /** The relay says member `memberId` of the room is typing. */
  | { kind: 'typing'; memberId: number }
  /** The relay says member `memberId` of the room is active or away. */
  | { kind: 'presence'; memberId: number; state: PresenceCode };

const NONE: SessionSignal = { kind: 'none' };

/** The refusal code of `relay-key-changed`: the client's own verdict, never on the wire (wire codes are u16). */
export const RELAY_KEY_CHANGED = 0x1_0000;

export class RelaySession {
  readonly #host: SessionHost;
  readonly #options: SessionOptions;
  readonly #handshake: Handshake;
  readonly #join: JoinBackoff;
  #memberId = 0;
  #limits: AnnouncedLimits = DEFAULT_ANNOUNCED_LIMITS;
  #channel: ReliableChannel<Fragment> | undefined;
  #liveness: Liveness | undefined;
  #heartbeatRttMs: number | undefined;
  /** Challenges answered at once since the last Join the back-off sent. */
  #challengeAnswers = 0;

  constructor(host: SessionHost, options: SessionOptions) {
    this.#host = host;
    this.#options = options;
    this.#handshake = new Handshake(options.name, options.room, options.sealed ?? false, options.relayIdentity?.pinned?.(this.#relayAddress()));
    this.#join = new JoinBackoff(options.joinRetryMs, options.maxJoinRetryMs);
  }

  get memberId(): number {
    return this.#memberId;
  }

  /** The relay's limits, clamped (the protocol's defaults until a Welcome). */
  get limits(): AnnouncedLimits {
    return this.#limits;
  }

  /** The open channel, or undefined while joining. */
  get channel(): ReliableChannel<Fragment> | undefined {
    return this.#channel;
  }

  /** The room keys the current join uses (sealed rooms, once derived for the relay's salt). */
  get roomKeys(): RoomKeys | undefined {
    return this.#handshake.roomKeys;
  }

  /** Round-trip time from heartbeats (ms), undefined before the first answer. */
  get heartbeatRttMs(): number | undefined {
    return this.#heartbeatRttMs;
  }

  /** Starts (again) to join: the old channel is dropped, the first Join goes out at once. */
  start(now: number): void {
    this.#channel = undefined;
    this.#liveness = undefined;
    this.#handshake.restart();
    this.#join.restart(now);
    this.#sendJoin(now);
  }

  /** Stops everything: nothing more is sent. */
  stop(): void {
    this.#join.stop();
    this.#channel = undefined;
    this.#liveness = undefined;
  }

  /** One datagram from the relay's address. */
  receive(datagram: Uint8Array, now: number): SessionSignal {
    const received = this.#handshake.receive(datagram);
    if (received.ok === 'older-relay') return this.#onOlderRelay(received.version, received.body.code);
    if (!received.ok) {
      this.#options.log('debug', `dropped a datagram from the relay: ${received.why}`);
      return NONE;
    }
    const { packet, authentic } = received;
    if (authentic) this.#liveness?.authenticated();
    // (The header's member id names a message's origin, not us: the key is what binds it to our session.)
    switch (packet.type) {
      case PacketType.Welcome:
        return this.#onWelcome(datagram, packet.memberId, packet.body, now);
      case PacketType.Error:
        return this.#onError(packet.body, authentic, now);
      case PacketType.HeartbeatAck:
        if (packet.memberId !== this.#memberId) return NONE;
        this.#liveness?.heard(now);
        this.#heartbeatRttMs = ((Math.floor(now) >>> 0) - packet.body.echo) >>> 0;
        return NONE;
      case PacketType.Ack:
        if (packet.memberId !== this.#memberId || !this.#channel) return NONE;
        this.#liveness?.heard(now);
        this.#channel.receiveAck(packet.body, now);
        return NONE;
      case PacketType.Challenge:
        return this.#onChallenge(packet.body, now);
      case PacketType.Typing:
        // Only from the relay of this session (the tag); a member's own typing is never sent back to it.
        if (!authentic || packet.memberId !== this.#memberId || packet.body.memberId === this.#memberId) return NONE;
        return { kind: 'typing', memberId: packet.body.memberId };
      case PacketType.Presence:
        // As Typing: only from the relay of this session, never about ourselves.
        if (!authentic || packet.memberId !== this.#memberId || packet.body.memberId === this.#memberId) return NONE;
        return { kind: 'presence', memberId: packet.body.memberId, state: packet.body.state };
      case PacketType.Join:
      case PacketType.Heartbeat:
        return NONE;
      default:
        if (!this.#channel) return NONE;
        this.#liveness?.heard(now);
        this.#channel.receiveData(packet.seq, fragmentOf(packet), now);
        return NONE;
    }
  }

  /** Runs what is due at `now`: a Join, a heartbeat, the channel's timers; or the verdict that the session is lost. */
  poll(now: number): SessionSignal {
    const channel = this.#channel;
    const liveness = this.#liveness;
    if (!channel || !liveness) {
      if (this.#join.due(now)) {
        this.#challengeAnswers = 0;
        this.#sendJoin(now);
      }
      return NONE;
    }
    const action = liveness.poll(now);
    switch (action.kind) {
      case 'reconnect':
        return { kind: 'lost', reason: action.reason, detail: action.reason === 'relay-silent' ? 'the relay stopped answering' : 'the relay restarted' };
      case 'heartbeat':
        this.#sendHeartbeat(now);
        break;
      case 'none':
        break;
      default:
        assertNever(action, 'liveness action');
    }
    const due = channel.nextWakeup();
    if (due !== undefined && due <= now) channel.poll(now);
    return NONE;
  }

  /** The client did not run for the `ms` before `now` (see Liveness.excuse). */
  excuseStall(ms: number, now: number): void {
    this.#liveness?.excuse(ms, now);
  }

  /** When `poll` next has work to do (ms), or undefined. */
  nextWakeup(): number | undefined {
    if (!this.#channel || !this.#liveness) return this.#join.nextAt;
    const channelAt = this.#channel.nextWakeup();
    const livenessAt = this.#liveness.nextWakeup();
    return channelAt === undefined ? livenessAt : Math.min(channelAt, livenessAt);
  }

  #sendJoin(now: number): void {
    // Signed with the previous session's key, the join may take that session over (same member, nothing lost).
    this.#host.send(this.#handshake.joinDatagram(this.#memberId));
    this.#join.sent(now);
  }

  /**
   * Room keys derived with `roomSalt` (after a 'derive' signal): kept for rejoins; when they are for the salt this
   * join was challenged with, the Join with the cookie and the room proof goes out at once and the back-off resumes.
   */
  roomKeysReady(roomSalt: Uint8Array, keys: RoomKeys, now: number): void {
    const current = this.#handshake.useRoomKeys(roomSalt, keys);
    if (!current || this.#channel || !this.#join.joining) return;
    this.#sendJoin(now);
  }

  /**
   * The relay wants proof of our address: the same Join again, with its cookie, at once (within a bound). In a
   * sealed room whose keys for the Challenge's salt are not there yet, nothing goes out until they are.
   */
  #onChallenge(body: ChallengeBody, now: number): SessionSignal {
    if (this.#channel || !this.#join.joining) return NONE;
    const verdict = this.#handshake.acceptChallenge(body);
    if (verdict === 'not-ours') {
      this.#options.log('debug', 'dropped a Challenge that does not answer our Join');
      return NONE;
    }
    if (verdict === 'same') return NONE;
    const roomSalt = this.#handshake.roomSalt;
    if (this.#handshake.needsRoomKeys && roomSalt) {
      this.#join.hold();
      return { kind: 'derive', roomSalt };
    }
    // Held for keys of another salt, and these are at hand: the back-off resumes with this Join.
    if (this.#join.held) {
      this.#sendJoin(now);
      return NONE;
    }
    if (this.#challengeAnswers >= MAX_IMMEDIATE_CHALLENGE_ANSWERS) return NONE;
    this.#challengeAnswers++;
    // Not a back-off step: the back-off keeps its schedule, so a lost answer is retried when it says.
    this.#host.send(this.#handshake.joinDatagram(this.#memberId));
    return NONE;
  }

  /**
   * An Error of the previous protocol version: an older relay, which cannot validate our address, refused us.
   * While joining that is final (nothing retrying fixes it) and it is the relay that must be upgraded. It comes
   * unsigned and without our nonce, as old relays' refusals do, so it counts only before the relay has shown that
   * it speaks this version (a Challenge answering this join) and never in a session: a forger has one round trip.
   */
  #onOlderRelay(version: number, code: number): SessionSignal {
    if (this.#channel || !this.#join.joining || this.#handshake.challenged || code !== ErrorCode.UnsupportedVersion) return NONE;
    const message = `${this.#where()} speaks an older protocol (version ${version}): upgrade the relay`;
    return { kind: 'refused', code: ErrorCode.UnsupportedVersion, name: errorCodeName(ErrorCode.UnsupportedVersion), message };
  }

  #onWelcome(datagram: Uint8Array, memberId: number, body: WelcomeBody, now: number): SessionSignal {
    // A channel exists once a welcome was taken; a repeated welcome for the same join changes nothing.
    if (this.#channel) return NONE;
    const verdict = this.#handshake.acceptWelcome(datagram, memberId, body);
    switch (verdict.kind) {
      case 'not-ours':
        return NONE;
      case 'unsigned':
        this.#options.log('warn', 'dropped a Welcome that is not signed with the keys it announces');
        return NONE;
      case 'key-changed':
        return this.#onRelayKeyChanged(verdict.expected, verdict.offered);
      case 'accepted':
        break;
      default:
        return assertNever(verdict, 'welcome verdict');
    }
    this.#limits = clampAnnouncedLimits(body);
    this.#memberId = memberId;
    this.#join.stop();
    const interval = this.#limits.heartbeatIntervalMs;
    this.#liveness = new Liveness(interval, relayTimeoutMs(interval, this.#options.relayTimeoutMs), now);
    this.#channel = new ReliableChannel<Fragment>(
      {
        transmit: (seq, fragment) => this.#transmitFragment(seq, fragment),
        transmitAck: (ack) => this.#sendControl({ ...controlHeader(PacketType.Ack, this.#memberId), body: ack }),
        deliver: (fragment) => this.#host.deliver(fragment),
        acknowledged: (ticket) => this.#host.acknowledged(ticket),
        tuning: this.#options.reliability,
      },
      now,
    );
    this.#options.log('info', `joined ${this.#options.room} as ${this.#options.name} (member ${memberId})`);
    // The relay admits us to the room once we prove we got the Welcome: an authenticated datagram, at once.
    this.#sendHeartbeat(now);
    if (verdict.firstUse) this.#callBack(() => this.#options.relayIdentity?.onFirstUse?.(this.#relayAddress(), verdict.fingerprint));
    return { kind: 'welcomed' };
  }

  /** Another relay identity than before: final (retrying cannot make an impostor the relay we know). */
  #onRelayKeyChanged(expected: string, offered: string): SessionSignal {
    this.#join.stop();
    this.#callBack(() => this.#options.relayIdentity?.onChanged?.(this.#relayAddress(), expected, offered));
    const message =
      `${this.#where()} has a different identity than before (was ${expected}, now ${offered}): ` +
      'someone may be impersonating it; accept the new key only if the relay was reinstalled';
    return { kind: 'refused', code: RELAY_KEY_CHANGED, name: 'relay-key-changed', message };
  }

  /** The embedder's callbacks must not break the session: a throw is logged. */
  #callBack(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#options.log('warn', `a relay identity callback failed: ${String(error)}`);
    }
  }

  /** The relay's address as the pins name it ("host:port"; "" when the session was not told). */
  #relayAddress(): string {
    const { relayHost, relayPort } = this.#options;
    return relayHost === undefined || relayPort === undefined ? '' : formatHostPort(relayHost, relayPort);
  }

  #where(): string {
    const { relayHost, relayPort } = this.#options;
    return relayHost === undefined ? 'the relay' : `the relay at ${relayHost}${relayPort === undefined ? '' : `:${relayPort}`}`;
  }

  #onError(body: ErrorBody, authentic: boolean, now: number): SessionSignal {
    const inSession = this.#channel !== undefined;
    switch (body.code) {
      case ErrorCode.ShuttingDown:
        // Only the relay we have a session with may send us away.
        return authentic && inSession ? { kind: 'lost', reason: 'relay-shutdown', detail: 'the relay is shutting down (relay-shutdown)' } : NONE;
      case ErrorCode.UnknownSession:
        // Signed, the relay itself ended the session (its sequence numbers ran out): join again at once.
        if (authentic && inSession) return { kind: 'lost', reason: 'new-session', detail: 'the relay ended the session (its sequence numbers ran out); starting a new one' };
        // A relay that restarted cannot sign this, so anyone could send it: ask the relay before believing it.
        if (inSession && this.#liveness?.unknownSession(now)) this.#sendHeartbeat(now);
        return NONE;
      case ErrorCode.RateLimited:
        return authentic ? { kind: 'rate-limited', message: body.message } : NONE;
      default:
        // Join refusals answer our join's random nonce: only someone who saw the join can forge one.
        if (!this.#handshake.answersThisJoin(body.clientNonce)) return NONE;
        return { kind: 'refused', code: body.code, name: errorCodeName(body.code), message: body.message };
    }
  }

  #transmitFragment(seq: number, fragment: Fragment): void {
    const datagram = this.#handshake.sign(encodeFragment(fragment, fragment.flags | Flag.Auth, this.#memberId, seq));
    if (datagram) this.#host.send(datagram);
  }

  /** Encodes, signs and sends a control datagram of the current session. */
  #sendControl(packet: Parameters<typeof encodeControl>[0]): void {
    const datagram = this.#handshake.sign(encodeControl({ ...packet, flags: Flag.Auth }));
    if (datagram) this.#host.send(datagram);
  }

  /** "I am typing", once, unreliable: nothing without an open channel (joining, or the member list not yet here). */
  sendTyping(): boolean {
    if (!this.#channel || this.#memberId === 0) return false;
    this.#sendControl({ ...controlHeader(PacketType.Typing, this.#memberId), body: { memberId: 0 } });
    return true;
  }

  /** "I am active / away", once, unreliable; nothing without an open channel. */
  sendPresence(state: PresenceCode): boolean {
    if (!this.#channel || this.#memberId === 0) return false;
    this.#sendControl({ ...controlHeader(PacketType.Presence, this.#memberId), body: { memberId: 0, state } });
    return true;
  }

  #sendHeartbeat(now: number): void {
    this.#sendControl({ ...controlHeader(PacketType.Heartbeat, this.#memberId), body: { echo: Math.floor(now) >>> 0 } });
    this.#liveness?.heartbeatSent(now);
  }
}
