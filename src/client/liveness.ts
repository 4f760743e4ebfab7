/**
 * Is the relay still there? Heartbeats at the relay's interval, more often once one went unanswered, and a verdict
 * after silence. Pure: time comes in as an argument (ms, monotonic); the edge sends what `poll` asks for.
 */

/** Heartbeat intervals of silence after which the client rejoins: a relay that restarted is noticed sooner. */
export const RELAY_SILENCE_HEARTBEATS = 3;
/**
 * Heartbeats per interval once one went unanswered: a few lost datagrams on a lossy link do not add up to a false
 * "the relay stopped answering", while a relay that really went away is still noticed in time.
 */
export const SUSPECT_PROBES_PER_INTERVAL = 4;
/**
 * After an unauthenticated "unknown session" (anyone can forge one), how long (ms) the client waits for any
 * authenticated answer to the heartbeat it sends at once, before it believes the relay restarted and rejoins.
 */
export const UNKNOWN_SESSION_CONFIRM_MS = 300;

export type LivenessAction =
  | { kind: 'none' }
  | { kind: 'heartbeat' }
  | { kind: 'reconnect'; reason: 'relay-silent' | 'relay-restarted' };

export class Liveness {
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  #lastHeardAt: number;
  #nextHeartbeatAt: number;
  #unknownSessionAt: number | undefined;

  /** A session that starts at `now` (its Welcome just arrived): the first heartbeat is due at once. */
  constructor(intervalMs: number, timeoutMs: number, now: number) {
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
    this.#lastHeardAt = now;
    this.#nextHeartbeatAt = now;
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** The relay answered in this session (a heartbeat ack, an ack, data). */
  heard(now: number): void {
    if (now > this.#lastHeardAt) this.#lastHeardAt = now;
  }

  /** An authenticated datagram arrived: the relay still knows our session, whatever an unsigned Error said. */
  authenticated(): void {
    this.#unknownSessionAt = undefined;
  }

  /**
   * An unsigned "unknown session" arrived. Returns true when a heartbeat should go out at once to ask the relay
   * (the first such Error; more of them while the question is open change nothing).
   */
  unknownSession(now: number): boolean {
    if (this.#unknownSessionAt !== undefined) return false;
    this.#unknownSessionAt = now;
    return true;
  }

  /**
   * The client itself did not run for the `ms` before `now` (a blocked event loop): what the relay sent meanwhile
   * is still unread, so that time counts neither as the relay's silence nor as time to disprove an unknown-session.
   */
  excuse(ms: number, now: number): void {
    if (!(ms > 0)) return;
    this.#lastHeardAt = Math.min(now, this.#lastHeardAt + ms);
    if (this.#unknownSessionAt !== undefined) this.#unknownSessionAt = Math.min(now, this.#unknownSessionAt + ms);
  }

  /** Records a heartbeat sent at `now`. */
  heartbeatSent(now: number): void {
    const quiet = now - this.#lastHeardAt > this.#intervalMs;
    this.#nextHeartbeatAt = now + (quiet ? this.#intervalMs / SUSPECT_PROBES_PER_INTERVAL : this.#intervalMs);
  }

  /** What to do at `now`: rejoin (the relay is gone or forgot us), send a heartbeat, or nothing. */
  poll(now: number): LivenessAction {
    if (now - this.#lastHeardAt >= this.#timeoutMs) return { kind: 'reconnect', reason: 'relay-silent' };
    if (this.#unknownSessionAt !== undefined && now - this.#unknownSessionAt >= UNKNOWN_SESSION_CONFIRM_MS) {
      return { kind: 'reconnect', reason: 'relay-restarted' };
    }
    if (now >= this.#nextHeartbeatAt) return { kind: 'heartbeat' };
    return { kind: 'none' };
  }

  /** When `poll` next has something to do (ms). */
  nextWakeup(): number {
    let next = Math.min(this.#nextHeartbeatAt, this.#lastHeardAt + this.#timeoutMs);
    if (this.#unknownSessionAt !== undefined) next = Math.min(next, this.#unknownSessionAt + UNKNOWN_SESSION_CONFIRM_MS);
    return next;
  }
}

/** Silence (ms) after which the relay is taken to be gone: the option, else three heartbeat intervals. */
export function relayTimeoutMs(heartbeatIntervalMs: number, option: number | undefined): number {
  return option ?? heartbeatIntervalMs * RELAY_SILENCE_HEARTBEATS;
}
