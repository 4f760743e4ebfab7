/** A bench member that only receives: the real join handshake and reliability layer, no UI state. */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { controlHeader, decodePacket, encodeControl } from '../../src/protocol/codec';
import { createHopKeyPair, deriveHopKeys, signDatagram, verifyDatagram, type HopKeys } from '../../src/protocol/hop-auth';
import { ReliableChannel, type ChannelStats } from '../../src/protocol/reliability';
import { deriveRoomKeys, signJoinProof, withFreshMemberKey, type RoomKeys } from '../../src/protocol/room-crypto';
import { ExtensionTag, Flag, PacketType, type MessageFragment as Fragment } from '../../src/protocol/types';

/** Kernel receive buffer per socket (bytes): large enough that the bench measures the relay, not the kernel. */
const RECEIVE_BUFFER_BYTES = 1 << 20;

/**
 * A sealed room's keys by the relay's salt, derived once per salt and shared by every receiver of the bench: they
 * all join one room on one relay, so one scrypt serves them all (each still signs with its own member key).
 */
export class SharedRoomKeys {
  readonly #derived = new Map<string, Promise<RoomKeys>>();

  constructor(
    readonly passphrase: string,
    readonly room: string,
  ) {}

  of(roomSalt: Uint8Array): Promise<RoomKeys> {
    const key = Buffer.from(roomSalt).toString('hex');
    let keys = this.#derived.get(key);
    if (!keys) {
      keys = deriveRoomKeys(this.passphrase, this.room, roomSalt);
      this.#derived.set(key, keys);
    }
    return keys;
  }
}

/** A member that only receives: the real join handshake and the real reliability layer, no UI state. */
export class ProtocolReceiver {
  readonly #socket = dgram.createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
  #memberId = 0;
  #keys: HopKeys | undefined;
  #channel: ReliableChannel<Fragment> | undefined;
  #nextHeartbeatAt = 0;

  /** `onImageFragment` sees every image fragment as it is delivered, in order (bulk fan-out counts them). */
  constructor(
    readonly relayPort: number,
    readonly roomKeys: SharedRoomKeys | undefined,
    readonly onText: (id: bigint) => void,
    readonly onImageFragment?: (fragment: Fragment) => void,
  ) {}

  async join(name: string): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
    const clientNonce = randomBytes(8);
    const hop = createHopKeyPair();
    const extensions = new Map<number, Uint8Array>([[ExtensionTag.HopPublicKey, hop.publicKey]]);
    /** The Challenge's salt whose keys are being derived or in the Join, and whether the Join carries them yet. */
    let saltInUse: string | undefined;
    let proofReady = false;
    const encodeJoin = (): Uint8Array => encodeControl({ ...controlHeader(PacketType.Join, 0), body: { clientNonce, name, room: 'bench', extensions } });
    let join = encodeJoin();
    const welcomed = new Promise<void>((resolve) => {
      this.#socket.on('message', (datagram) => {
        const decoded = decodePacket(datagram);
        if (!decoded.ok) return;
        const packet = decoded.value;
        const now = performance.now();
        if (packet.type === PacketType.Challenge) {
          // The relay validates our address first: the same Join again, with its cookie (and the retries too).
          if (this.#channel || !Buffer.from(packet.body.clientNonce).equals(clientNonce)) return;
          extensions.set(ExtensionTag.Cookie, Uint8Array.from(packet.body.cookie));
          const shared = this.roomKeys;
          if (!shared) {
            join = encodeJoin();
            this.#socket.send(join, this.relayPort, '127.0.0.1');
            return;
          }
          // A sealed room: the keys come from the Challenge's salt, and no Join goes out until they are there.
          const salt = Buffer.from(packet.body.roomSalt).toString('hex');
          if (salt === saltInUse) {
            if (proofReady) join = encodeJoin();
            return;
          }
          saltInUse = salt;
          proofReady = false;
          void shared.of(packet.body.roomSalt).then((roomKeys) => {
            if (this.#channel || saltInUse !== salt) return;
            // Each member has its own signing key, bound into its join proof, as a real client has.
            const keys = withFreshMemberKey(roomKeys);
            extensions.set(ExtensionTag.RoomKey, keys.verifyKey);
            extensions.set(ExtensionTag.MemberKey, keys.memberPublicKey);
            extensions.set(ExtensionTag.RoomProof, signJoinProof(keys, clientNonce, hop.publicKey, name));
            proofReady = true;
            join = encodeJoin();
            this.#socket.send(join, this.relayPort, '127.0.0.1');
          });
          return;
        }
        if (packet.type === PacketType.Welcome) {
          if (this.#channel) return;
          const relayKey = packet.body.extensions.get(ExtensionTag.HopPublicKey);
          const keys = relayKey ? deriveHopKeys(hop.privateKey, relayKey, clientNonce) : undefined;
          if (!keys || !verifyDatagram(datagram, keys.downstream)) return;
          this.#keys = keys;
          this.#memberId = packet.memberId;
          this.#channel = new ReliableChannel<Fragment>(
            {
              transmit: () => {},
              transmitAck: (ack) => this.#sendControl({ ...controlHeader(PacketType.Ack, this.#memberId), body: ack }),
              deliver: (fragment) => {
                if (fragment.type === PacketType.Text) this.onText(fragment.messageId);
                else if (fragment.type === PacketType.Image) this.onImageFragment?.(fragment);
              },
            },
            now,
          );
          this.#heartbeat(now);
          resolve();
          return;
        }
        if (!this.#keys || !verifyDatagram(datagram, this.#keys.downstream)) return;
        switch (packet.type) {
          case PacketType.Ack:
          case PacketType.HeartbeatAck:
          case PacketType.Error:
          case PacketType.Join:
          case PacketType.Heartbeat:
          case PacketType.Typing:
          case PacketType.Presence:
            return;
          default:
            this.#channel?.receiveData(packet.seq, packet, now);
        }
      });
    });
    // Resent until welcomed, except while the room keys for the Challenge's salt are being derived.
    const retry = setInterval(() => {
      if (saltInUse === undefined || proofReady) this.#socket.send(join, this.relayPort, '127.0.0.1');
    }, 200);
    this.#socket.send(join, this.relayPort, '127.0.0.1');
    await welcomed;
    clearInterval(retry);
  }

  /** Runs due timers (delayed acks) and heartbeats; called for all receivers from one shared interval. */
  tick(now: number): void {
    const channel = this.#channel;
    if (!channel) return;
    const due = channel.nextWakeup();
    if (due !== undefined && due <= now) channel.poll(now);
    if (now >= this.#nextHeartbeatAt) this.#heartbeat(now);
  }

  #heartbeat(now: number): void {
    this.#sendControl({ ...controlHeader(PacketType.Heartbeat, this.#memberId), body: { echo: 0 } });
    this.#nextHeartbeatAt = now + 2000;
  }

  #sendControl(packet: Parameters<typeof encodeControl>[0]): void {
    if (!this.#keys) return;
    this.#socket.send(signDatagram(encodeControl({ ...packet, flags: Flag.Auth }), this.#keys.upstream), this.relayPort, '127.0.0.1');
  }

  /** What its channel counted (undefined before the Welcome). */
  get stats(): ChannelStats | undefined {
    return this.#channel?.stats;
  }

  close(): void {
    this.#socket.close();
  }
}

/** How often (ms) a group runs its receivers' timers (delayed acks, heartbeats). */
const GROUP_TICK_MS = 2;

/**
 * Receivers joined one after another to one relay, their timers run from one shared interval. Heartbeats start
 * with the first join: joining a hundred members takes a while, and the first must stay members.
 */
export class ReceiverGroup {
  readonly receivers: ProtocolReceiver[] = [];
  readonly #ticker: NodeJS.Timeout;

  private constructor() {
    this.#ticker = setInterval(() => {
      const now = performance.now();
      for (const receiver of this.receivers) receiver.tick(now);
    }, GROUP_TICK_MS);
  }

  /** `count` receivers named receiver-0…; on failure the ones joined so far are closed. */
  static async join(count: number, make: () => ProtocolReceiver): Promise<ReceiverGroup> {
    const group = new ReceiverGroup();
    try {
      for (let i = 0; i < count; i++) {
        const receiver = make();
        group.receivers.push(receiver);
        await receiver.join(`receiver-${i}`);
      }
    } catch (error) {
      group.close();
      throw error;
    }
    return group;
  }

  close(): void {
    clearInterval(this.#ticker);
    for (const receiver of this.receivers) receiver.close();
  }
}
