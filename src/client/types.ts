/** The chat client's public vocabulary: what it reports (events) and what it is given (options). */
import type { ImageFormat } from '../protocol/payload';
import type { ReplayMarks } from '../protocol/replay-marks';
import type { ChannelStats, ReliabilityTuning } from '../protocol/reliability';
import type { RoomKeys } from '../protocol/room-crypto';
import type { SnippetMeta } from '../shared/snippet';
import type { ClientState, DeliveryState } from '../shared/states';
import type { Clock } from '../util/clock';
import type { BacklogEnd, HistoryOptions } from './history';

export type { BacklogEnd, HistoryOptions, HistoryPageResult } from './history';

export type { ClientState, DeliveryState } from '../shared/states';


export interface ChatMember {
  id: number;
  name: string;
  legacy: boolean;
}

export interface ChatText {
  id: string;
  from: string;
  fromId: number;
  text: string;
  /** The sender's clock, ms since the epoch (a backlog message's too: as it showed live). */
  sentAt: number;
  encrypted: boolean;
  legacy: boolean;
  /** From the relay's history (a backlog page), not live. */
  backlog?: boolean;
  /** Its number in the room's history, when the relay keeps one. */
  seq?: number;
  /** A backlog message: when the relay stored it (its clock, ms since the epoch), which no sender can set. */
  storedAt?: number;
  /** A reply: the id of the message it answers (which this client may not have seen). */
  replyTo?: string;
  /** A code snippet: `text` is its code, and this says where it came from (checked: src/shared/snippet.ts). */
  snippet?: SnippetMeta;
  /**
   * The room's members the text mentions as `@name` (src/shared/mentions.ts), as the roster spells them, this
   * client's own name included; absent when it mentions nobody.
   */
  mentions?: string[];
}

/**
 * A member's reaction turned on or off, per (message, member, emoji). Reactions from anyone on any message the
 * client has seen; one on a message not seen yet is held until it comes (bounded) and then emitted after it.
 */
export interface ChatReaction {
  /** The message reacted to. */
  id: string;
  from: string;
  fromId: number;
  /** One emoji (src/protocol/emoji.ts). */
  emoji: string;
  on: boolean;
  /** From the relay's history, not live. */
  backlog?: boolean;
}

/** A message's new text. Only ever from the message's own sender: every client checks it (ActionLedger). */
export interface ChatEdit {
  /** The message edited. */
  id: string;
  from: string;
  fromId: number;
  text: string;
  /** The sender's clock when it edited, ms since the epoch. */
  editedAt: number;
  /** As ChatText.mentions, for the new text. */
  mentions?: string[];
  backlog?: boolean;
}

/** A message deleted by its own sender (checked as edits are); nothing more comes for its id. */
export interface ChatDelete {
  /** The message deleted. */
  id: string;
  from: string;
  fromId: number;
  /** The sender's clock when it deleted, ms since the epoch. */
  deletedAt: number;
  backlog?: boolean;
}

/** A member is typing: shown until TYPING_EXPIRES_MS after the last one (src/client/typing.ts), or its next message. */
export interface ChatTyping {
  from: string;
  fromId: number;
}

/** A member says whether their window is in use ('active') or not ('away'). */
export interface ChatPresence {
  from: string;
  fromId: number;
  state: 'active' | 'away';
}

/** What the client received and did not apply, by why (each also logged). */
export interface IgnoredActions {
  /** An edit or delete by someone else than the message's sender. */
  notOwn: number;
  /** A kind of text this version does not know. */
  unknownKind: number;
  /** Held for a message that never came, and forgotten to make room. */
  unknownTarget: number;
  /** An edit of an image or a snippet. */
  malformed: number;
}

export interface ChatImage {
  id: string;
  from: string;
  fromId: number;
  data: Uint8Array;
  width: number;
  height: number;
  format: ImageFormat;
  /** As ChatText.sentAt. */
  sentAt: number;
  encrypted: boolean;
  legacy: boolean;
  /** As ChatText. */
  backlog?: boolean;
  seq?: number;
  storedAt?: number;
}

export interface ReadyInfo {
  name: string;
  room: string;
  memberId: number;
  members: ChatMember[];
  /** False the first time, true after each automatic rejoin. */
  rejoined: boolean;
}

export interface DeliveryUpdate {
  id: string;
  state: DeliveryState;
  /** Fraction of the message's fragments the relay has acknowledged, 0 to 1. */
  progress: number;
  reason?: string;
  /**
   * The message left the outbox without being delivered (a failed message that expired, or one the user
   * discarded): it can no longer be retried, and a UI drops it.
   */
  discarded?: true;
}

export interface IncomingProgress {
  id: string;
  from: string;
  fromId: number;
  kind: 'text' | 'image';
  receivedFragments: number;
  totalFragments: number;
  receivedBytes: number;
}

/**
 * An incoming message that was announced by `incoming` progress and will never arrive as `message` or `image`:
 * every progress row that was opened for it can be closed.
 */
export interface IncomingDropped {
  id: string;
  fromId: number;
  /**
   * Why: `duplicate`, `unreadable` (did not open), `malformed`, `incomplete`, `too-large`, `refused`, or
   * `not-a-message` (it was a reaction, edit or delete, which comes as its own event, or a kind this version ignores).
   */
  reason: 'duplicate' | 'unreadable' | 'malformed' | 'incomplete' | 'too-large' | 'refused' | 'not-a-message';
}

export interface ChatProblem {
  /** Kebab-case, stable: `name-taken`, `too-large`, `incomplete-message`, ... */
  code: string;
  message: string;
  /** True when the client has stopped (it will not reconnect by itself). */
  fatal: boolean;
  /** The message the problem concerns, when there is one. */
  messageId?: string;
}

export interface TransportStats extends ChannelStats {
  /** Round-trip time from heartbeats, ms (undefined before the first answer). */
  heartbeatRttMs: number | undefined;
}

/**
 * Why the client entered its state, stable and kebab-case for scripts (the CLI's `reason`): `joining` (first
 * connect), `joined`, `relay-shutdown` (the relay said it is stopping), `relay-silent` (it stopped answering),
 * `relay-restarted` (it no longer knows our session), `new-session` (our or the relay's sequence numbers ran
 * out), `left`, `closed`, `refused` (the relay refused the join).
 */
export type ClientStateReason =
  | 'joining'
  | 'joined'
  | 'relay-shutdown'
  | 'relay-silent'
  | 'relay-restarted'
  | 'new-session'
  | 'left'
  | 'closed'
  | 'refused';

export type ChatClientEvents = {
  state: [state: ClientState, detail: string, reason: ClientStateReason];
  ready: [info: ReadyInfo];
  memberJoined: [member: ChatMember];
  memberLeft: [member: ChatMember, reason: string];
  message: [message: ChatText];
  image: [image: ChatImage];
  incoming: [progress: IncomingProgress];
  incomingDropped: [drop: IncomingDropped];
  delivery: [update: DeliveryUpdate];
  error: [problem: ChatProblem];
  /** The backlog a (re)join asked for has arrived (its messages came as `message`/`image` with `backlog: true`). */
  'backlog-end': [end: BacklogEnd];
  reaction: [reaction: ChatReaction];
  edit: [edit: ChatEdit];
  delete: [deletion: ChatDelete];
  typing: [typing: ChatTyping];
  presence: [presence: ChatPresence];
};

/**
 * Trust on first use of the relay's identity (SSH's known_hosts): every Welcome is signed by the relay's long-term
 * key; a client keeps the first key it sees (or the pin) for every rejoin, and refuses another with the fatal
 * problem `relay-key-changed`. A store of pins: `relay` is the address as formatHostPort writes it ("host:port",
 * "[v6]:port"), so one object serves every relay.
 */
export interface RelayIdentityOptions {
  /** Fingerprint (relayFingerprint) of the identity `relay` proved on an earlier run; another is refused. */
  pinned?(relay: string): string | undefined;
  /** No pin, and the first Welcome proved this identity: store its fingerprint for the next run. */
  onFirstUse?(relay: string, fingerprint: string): void;
  /** A Welcome proved another identity than the pinned or first one; the join fails with `relay-key-changed`. */
  onChanged?(relay: string, expected: string, offered: string): void;
}

/** Which marks: those of one room on one relay (`relay` as formatHostPort writes it, "host:port", "[v6]:port"). */
export interface ReplayMarkScope {
  relay: string;
  room: string;
}

/**
 * Where a sealed room's replay high-water marks outlive the process (src/protocol/replay-marks.ts): the bytes are
 * versioned and at most 45,059 long; a store keeps them as they are. A rejection or an answer that never comes is
 * logged by the client and costs only the protection across restarts.
 */
export interface ReplayMarkStore {
  /** The marks saved for `scope`, or undefined when there are none. */
  load(scope: ReplayMarkScope): Promise<ReplayMarks | undefined>;
  save(scope: ReplayMarkScope, marks: ReplayMarks): Promise<void>;
  /** Where problems with the marks are told (damage, a failed save); default the client's log, as warnings. */
  report?(message: string): void;
}

export interface ChatClientOptions {
  relayHost: string;
  relayPort: number;
  name: string;
  room?: string;
  /** The room passphrase: messages and images are sealed end to end with a key derived from it. */
  passphrase?: string;
  /** Local address to bind; default all interfaces of the relay's address family. */
  bindAddress?: string;
  /** First delay (ms) between join attempts; doubles up to `maxJoinRetryMs`. */
  joinRetryMs?: number;
  maxJoinRetryMs?: number;
  /** Silence from the relay (ms) after which the client reconnects; default three heartbeat intervals. */
  relayTimeoutMs?: number;
  /** A message the relay has not acknowledged after this long (ms) is reported failed (and can be retried). */
  deliveryTimeoutMs?: number;
  /** A partly received message that stops growing for this long (ms) is dropped and reported. */
  incompleteAfterMs?: number;
  /**
   * A received image whose declared dimensions exceed this many megapixels is dropped (`incomingDropped`
   * `too-large`, and a `too-large` problem) before anything decodes it. Default 50.
   */
  maxImageMegapixels?: number;
  reliability?: Partial<ReliabilityTuning>;
  /** The relay identity to expect and what to do on first use or a change; without it, the first one seen is kept. */
  relayIdentity?: RelayIdentityOptions;
  /**
   * Keeps a sealed room's replay marks across runs: loaded before the join, saved at most once a second while
   * messages arrive and on close, so a relay cannot replay to a restarted client what it opened before.
   */
  replayMarks?: ReplayMarkStore;
  /**
   * History from the relay: on the first join the last `initial` messages (or everything after `after`, the last
   * number the caller holds), and after every rejoin everything sent meanwhile, as `message`/`image` events with
   * `backlog: true`, then `backlog-end`. Without it nothing is asked (requestHistory still works).
   */
  history?: HistoryOptions;
  /** Time and timers; default the system clock. Tests pass a fake one. */
  clock?: Clock;
  /**
   * Derives a sealed room's keys from the passphrase and the relay's room salt; default deriveRoomKeys (scrypt at
   * full cost). Tests pass one that shares what it derived between clients of a test process.
   */
  deriveRoomKeys?: (passphrase: string, room: string, roomSalt: Uint8Array) => Promise<RoomKeys>;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

