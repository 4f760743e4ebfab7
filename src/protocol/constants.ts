/** Wire constants shared by every peer. Changing any of these is a protocol version change. */

/** "UC": the first two bytes of every datagram of this protocol; anything else is legacy or garbage. */
export const MAGIC = 0x5543;
/**
 * Version 2 added address validation (a Challenge before any state). Version 3 salts sealed rooms per relay: the
 * Challenge carries the relay's room salt, room keys are derived with it, and the Welcome's identity proof covers
 * it. A version-2 peer derives other keys and reads another Challenge, so the versions do not mix, and each side
 * says clearly which one must be upgraded.
 */
export const PROTOCOL_VERSION = 3;
/**
 * The older version whose Error datagram this one still reads and writes (same header, same Error body), so a
 * relay can tell an old client to upgrade, and a client can tell the user an old relay must.
 */
export const PREVIOUS_PROTOCOL_VERSION = 2;

/** Bytes of the fixed header in front of every body (see docs/protocol.md). */
export const HEADER_BYTES = 28;
/** Bytes of the hop authentication tag that follows the body when `Flag.Auth` is set. */
export const AUTH_TAG_BYTES = 16;

/**
 * Largest UDP payload we send, in bytes. 1,200 fits the IPv6 minimum MTU (1,280) minus IP and UDP headers,
 * so no datagram is ever split into IP fragments on any path (QUIC chose the same figure for the same reason).
 */
export const MAX_DATAGRAM_BYTES = 1200;
/** The trailer a relay adds to the last fragment of a message it numbered (Flag.Numbered): two u32 (bytes). */
export const ROOM_SEQ_TRAILER_BYTES = 8;
/** Payload bytes a single fragment can carry when every optional trailer is present. */
export const MAX_FRAGMENT_BYTES = MAX_DATAGRAM_BYTES - HEADER_BYTES - AUTH_TAG_BYTES - ROOM_SEQ_TRAILER_BYTES;
/** The fragment index/count fields are u16. */
export const MAX_FRAGMENTS = 0xffff;

/** Names and rooms are counted in UTF-8 bytes so every peer measures them the same way. */
export const MAX_NAME_BYTES = 32;
export const MAX_ROOM_BYTES = 32;
export const DEFAULT_ROOM = 'general';
export const DEFAULT_PORT = 12345;

/** Default limits a relay announces in its welcome; a relay may lower or raise them. */
export const DEFAULT_MAX_TEXT_BYTES = 16 * 1024; // a long paste, ~15 fragments
export const DEFAULT_MAX_IMAGE_BYTES = 10 * 1024 * 1024; // after compression
export const DEFAULT_MAX_MEMBERS_PER_ROOM = 256; // a whole department; its member list is ~10 KB
export const DEFAULT_MAX_ROOMS = 256;

/** Client heartbeat period (ms): often enough that a relay restart is noticed within a few seconds. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2000;
/** Silence (ms) after which the relay evicts a member: five missed heartbeats, so one lost datagram is harmless. */
export const DEFAULT_MEMBER_TIMEOUT_MS = 10_000;
/** Silence (ms) after which the relay evicts a legacy client, which sends no heartbeats. */
export const DEFAULT_LEGACY_TIMEOUT_MS = 10 * 60_000;

/**
 * The ranges every announced limit is held to, by the relay before it announces them and by the client when it
 * reads a Welcome: one table, so what a relay may promise and what a client takes never drift apart.
 */
/** 10 ms is a heartbeat storm already (100 a second); above 30 s a restarted relay goes unnoticed for minutes. */
export const MIN_HEARTBEAT_INTERVAL_MS = 10;
export const MAX_HEARTBEAT_INTERVAL_MS = 30_000;
/** Below 50 ms eviction races a busy event loop; above 10 minutes a vanished member holds its name too long. */
export const MIN_MEMBER_TIMEOUT_MS = 50;
export const MAX_MEMBER_TIMEOUT_MS = 10 * 60_000;
/** Four times the default text (16 KiB): a long paste; more only makes receivers buffer large texts (bytes). */
export const MAX_ANNOUNCED_TEXT_BYTES = 64 * 1024;
/** 1.6 times the default image (10 MB): outboxes and reassembly buffers are sized from it (bytes). */
export const MAX_ANNOUNCED_IMAGE_BYTES = 16 * 1024 * 1024;
