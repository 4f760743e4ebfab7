/**
 * The wire message union. Two families share one header (docs/protocol.md):
 * - control datagrams: one datagram each, a typed body, never fragmented, never sequenced;
 * - messages: a payload (typed in payload.ts) split into fragments that travel in sequenced, acknowledged datagrams.
 */

export const PacketType = {
  // control
  Join: 0x01,
  Challenge: 0x02,
  Welcome: 0x03,
  Heartbeat: 0x04,
  HeartbeatAck: 0x05,
  Ack: 0x06,
  Error: 0x07,
  /** "Member is typing": unreliable by design (a lost one is replaced by the next), relayed to the room. */
  Typing: 0x08,
  /** "Member is active / away": unreliable like Typing, repeated on change and when someone joins. */
  Presence: 0x09,
  // messages
  MemberList: 0x10,
  MemberJoined: 0x11,
  MemberLeft: 0x12,
  Leave: 0x13,
  Notice: 0x14,
  /** A member asks for stored messages of its room (docs/protocol.md, "History"). */
  HistoryRequest: 0x15,
  /** The relay has sent every stored message of a page. */
  HistoryEnd: 0x16,
  Text: 0x20,
  Image: 0x21,
  /** A stored text or image, as the relay keeps it, sent in answer to a HistoryRequest. */
  Stored: 0x22,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

export type ControlType =
  | typeof PacketType.Join
  | typeof PacketType.Challenge
  | typeof PacketType.Welcome
  | typeof PacketType.Heartbeat
  | typeof PacketType.HeartbeatAck
  | typeof PacketType.Ack
  | typeof PacketType.Error
  | typeof PacketType.Typing
  | typeof PacketType.Presence;

export type MessageType =
  | typeof PacketType.MemberList
  | typeof PacketType.MemberJoined
  | typeof PacketType.MemberLeft
  | typeof PacketType.Leave
  | typeof PacketType.Notice
  | typeof PacketType.HistoryRequest
  | typeof PacketType.HistoryEnd
  | typeof PacketType.Text
  | typeof PacketType.Image
  | typeof PacketType.Stored;

const MESSAGE_TYPES: ReadonlySet<number> = new Set<number>([
  PacketType.MemberList,
  PacketType.MemberJoined,
  PacketType.MemberLeft,
  PacketType.Leave,
  PacketType.Notice,
  PacketType.HistoryRequest,
  PacketType.HistoryEnd,
  PacketType.Text,
  PacketType.Image,
  PacketType.Stored,
]);
const CONTROL_TYPES: ReadonlySet<number> = new Set<number>([
  PacketType.Join,
  PacketType.Challenge,
  PacketType.Welcome,
  PacketType.Heartbeat,
  PacketType.HeartbeatAck,
  PacketType.Ack,
  PacketType.Error,
  PacketType.Typing,
  PacketType.Presence,
]);

export function isMessageType(type: number): type is MessageType {
  return MESSAGE_TYPES.has(type);
}

export function isControlType(type: number): type is ControlType {
  return CONTROL_TYPES.has(type);
}

export const Flag = {
  /** The sequence number is meaningful and the receiver acknowledges it. */
  Reliable: 0x01,
  /** The (reassembled) payload is sealed with the room key. */
  Encrypted: 0x02,
  /** A hop authentication tag of AUTH_TAG_BYTES follows the body. */
  Auth: 0x04,
  /**
   * Relay to member, on the last fragment of a forwarded text or image: the body ends in ROOM_SEQ_TRAILER_BYTES,
   * the message's number in the room's history and the number of the message forwarded to this member before it.
   */
  Numbered: 0x08,
} as const;
export const KNOWN_FLAGS = Flag.Reliable | Flag.Encrypted | Flag.Auth | Flag.Numbered;

/** Error codes carried by Error datagrams and Notice messages. Stable numbers: never reuse one. */
export const ErrorCode = {
  Malformed: 1,
  UnsupportedVersion: 2,
  NameTaken: 3,
  NameInvalid: 4,
  RoomInvalid: 5,
  RoomFull: 6,
  RelayFull: 7,
  TooLarge: 8,
  UnknownSession: 9,
  RateLimited: 10,
  ShuttingDown: 11,
  PassphraseRequired: 12,
  WrongPassphrase: 13,
  Forbidden: 14,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const ERROR_NAMES: Record<ErrorCode, string> = {
  [ErrorCode.Malformed]: 'malformed',
  [ErrorCode.UnsupportedVersion]: 'unsupported-version',
  [ErrorCode.NameTaken]: 'name-taken',
  [ErrorCode.NameInvalid]: 'name-invalid',
  [ErrorCode.RoomInvalid]: 'room-invalid',
  [ErrorCode.RoomFull]: 'room-full',
  [ErrorCode.RelayFull]: 'relay-full',
  [ErrorCode.TooLarge]: 'too-large',
  [ErrorCode.UnknownSession]: 'unknown-session',
  [ErrorCode.RateLimited]: 'rate-limited',
  [ErrorCode.ShuttingDown]: 'shutting-down',
  [ErrorCode.PassphraseRequired]: 'passphrase-required',
  [ErrorCode.WrongPassphrase]: 'wrong-passphrase',
  [ErrorCode.Forbidden]: 'forbidden',
};

/** The kebab-case name of an error code, as shown in CLI JSON (`"code":"name-taken"`). */
export function errorCodeName(code: number): string {
  return ERROR_NAMES[code as ErrorCode] ?? `error-${code}`;
}

export function isErrorCode(code: number): code is ErrorCode {
  return code in ERROR_NAMES;
}

/** Why a member left. Stable numbers. */
export const LeaveReason = {
  Quit: 1,
  Timeout: 2,
  Replaced: 3,
  RelayShutdown: 4,
  Kicked: 5,
} as const;
export type LeaveReason = (typeof LeaveReason)[keyof typeof LeaveReason];

const LEAVE_REASON_NAMES: Record<LeaveReason, string> = {
  [LeaveReason.Quit]: 'quit',
  [LeaveReason.Timeout]: 'timeout',
  [LeaveReason.Replaced]: 'replaced',
  [LeaveReason.RelayShutdown]: 'relay-shutdown',
  [LeaveReason.Kicked]: 'kicked',
};

export function leaveReasonName(reason: number): string {
  return LEAVE_REASON_NAMES[reason as LeaveReason] ?? `reason-${reason}`;
}

export function isLeaveReason(reason: number): reason is LeaveReason {
  return reason in LEAVE_REASON_NAMES;
}

/** Bits of a member's flags in member lists and join notices. */
export const MemberFlag = {
  /** Speaks the classic plaintext protocol through the relay's legacy mode. */
  Legacy: 0x01,
} as const;

/** Header fields every datagram has (docs/protocol.md). */
export interface Header {
  type: PacketType;
  flags: number;
  /** Client to relay: the sender's own id. Relay to client: the origin of a forwarded message, else the recipient. */
  memberId: number;
  /** Hop sequence number; 0 unless `Flag.Reliable`. */
  seq: number;
  /** Message id (origin-chosen, unique per origin); 0n for control datagrams. */
  messageId: bigint;
  fragmentIndex: number;
  fragmentCount: number;
}

/** Optional typed extensions in Join and Welcome bodies: tag, length, value; unknown tags are skipped. */
export type Extensions = ReadonlyMap<number, Uint8Array>;

export const ExtensionTag = {
  /** Join/Welcome: the sender's X25519 public key for the hop key exchange. */
  HopPublicKey: 1,
  /** Join: the cookie of the relay's Challenge, echoed: it proves the joiner receives at its address. */
  Cookie: 2,
  /** Join: the room's public verification key, derived from the passphrase (sealed rooms only). */
  RoomKey: 3,
  /** Join: an Ed25519 signature proving possession of the room key, bound to this join's nonce and hop key. */
  RoomProof: 4,
  /** Join (sealed rooms): the member's own Ed25519 public key, covered by the room proof; it signs its messages. */
  MemberKey: 5,
  /** Welcome: the relay's long-term Ed25519 identity key (pinned by clients on first use). */
  RelayIdentity: 8,
  /** Welcome: that key's signature over the join's nonce, the relay's hop key, the member id and the room salt. */
  RelayIdentityProof: 9,
  /**
   * Join: ignored bytes that bring a Join to MIN_JOIN_BYTES, so an older relay has room to say, within the Join's
   * size, that it must be upgraded.
   */
  Padding: 15,
} as const;

export interface JoinBody {
  /** Random per join attempt; echoed in the Welcome or Error that answers it. */
  clientNonce: Uint8Array;
  name: string;
  room: string;
  extensions: Extensions;
}

export interface ChallengeBody {
  clientNonce: Uint8Array;
  /** The relay's salt for the Join's room (ROOM_SALT_BYTES): sealed rooms derive their keys with it. */
  roomSalt: Uint8Array;
  cookie: Uint8Array;
}

export interface WelcomeBody {
  clientNonce: Uint8Array;
  room: string;
  heartbeatIntervalMs: number;
  memberTimeoutMs: number;
  maxTextBytes: number;
  maxImageBytes: number;
  extensions: Extensions;
}

export interface HeartbeatBody {
  /** Opaque to the relay; echoed in the HeartbeatAck so the client can measure round-trip time. */
  echo: number;
}

export interface AckRange {
  /** First sequence number of a run received above the cumulative point. */
  first: number;
  /** Last sequence number of that run (inclusive). */
  last: number;
}

export interface AckBody {
  /** Every sequence number up to and including this one has been received (0: none yet). */
  cumulative: number;
  /** How many more datagrams the receiver will buffer. */
  window: number;
  /** How long the receiver held this acknowledgement before sending it (ms), for round-trip estimates. */
  delayMs: number;
  /** Runs received above `cumulative`, ascending, disjoint. */
  ranges: readonly AckRange[];
}

export interface ErrorBody {
  code: number;
  /** The Join's client nonce this answers, or zeros. */
  clientNonce: Uint8Array;
  message: string;
}

export interface TypingBody {
  /** Relay to client: the member who is typing. Client to relay: 0 (the header names the sender). */
  memberId: number;
}

/** What a member's window says of them: in use (focused, not idle), or not. */
export const PresenceCode = {
  Active: 0,
  Away: 1,
} as const;
export type PresenceCode = (typeof PresenceCode)[keyof typeof PresenceCode];

export interface PresenceBody {
  /** Relay to client: the member it is about. Client to relay: 0 (the header names the sender). */
  memberId: number;
  state: PresenceCode;
}

interface PacketBase<T extends PacketType> extends Header {
  type: T;
  /** Present when `Flag.Auth` is set. */
  authTag?: Uint8Array;
}

export interface JoinPacket extends PacketBase<typeof PacketType.Join> {
  body: JoinBody;
}
export interface ChallengePacket extends PacketBase<typeof PacketType.Challenge> {
  body: ChallengeBody;
}
export interface WelcomePacket extends PacketBase<typeof PacketType.Welcome> {
  body: WelcomeBody;
}
export interface HeartbeatPacket extends PacketBase<typeof PacketType.Heartbeat> {
  body: HeartbeatBody;
}
export interface HeartbeatAckPacket extends PacketBase<typeof PacketType.HeartbeatAck> {
  body: HeartbeatBody;
}
export interface AckPacket extends PacketBase<typeof PacketType.Ack> {
  body: AckBody;
}
export interface ErrorPacket extends PacketBase<typeof PacketType.Error> {
  body: ErrorBody;
}
export interface TypingPacket extends PacketBase<typeof PacketType.Typing> {
  body: TypingBody;
}
export interface PresencePacket extends PacketBase<typeof PacketType.Presence> {
  body: PresenceBody;
}
/** One fragment of a message: its bytes are a slice of the message payload. */
export interface FragmentPacket extends PacketBase<MessageType> {
  chunk: Uint8Array;
  /** With Flag.Numbered (the chunk excludes that trailer): see MessageFragment. */
  roomSeq?: number;
  previousSeq?: number;
}

/**
 * A message fragment as a reliable channel carries it: every header field but the sequence number, which the
 * channel assigns when it sends, and the fragment's slice of the payload.
 */
export interface MessageFragment {
  type: MessageType;
  flags: number;
  /** Client to relay: 0 (the sender's id is filled in when sent). Relay to client: the message's origin. */
  memberId: number;
  messageId: bigint;
  fragmentIndex: number;
  fragmentCount: number;
  chunk: Uint8Array;
  /**
   * With Flag.Numbered, relay to member: the message's number in the room's history, and the number of the message
   * the relay forwarded to this member before it (0: none since the member came), so a gap is seen exactly.
   */
  roomSeq?: number;
  previousSeq?: number;
}

export type ControlPacket =
  | JoinPacket
  | ChallengePacket
  | WelcomePacket
  | HeartbeatPacket
  | HeartbeatAckPacket
  | AckPacket
  | ErrorPacket
  | TypingPacket
  | PresencePacket;
export type Packet = ControlPacket | FragmentPacket;

export function isFragmentPacket(packet: Packet): packet is FragmentPacket {
  return isMessageType(packet.type);
}

/** Compile-time exhaustiveness check for `switch` statements over unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
