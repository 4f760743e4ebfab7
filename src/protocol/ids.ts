/** Message ids: unique per origin, chosen by the origin. High 32 bits: a random epoch per process; low: a counter. */

export class MessageIdSource {
  readonly #epoch: bigint;
  #counter = 0;

  /** `epoch` should be random (e.g. from crypto.randomInt); it separates the ids of different processes. */
  constructor(epoch: number) {
    this.#epoch = BigInt(epoch >>> 0) << 32n;
  }

  next(): bigint {
    this.#counter = (this.#counter + 1) >>> 0;
    return this.#epoch | BigInt(this.#counter);
  }
}

/** The 16-hex-digit text form of a message id, as shown to users and scripts. */
export function formatMessageId(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

/** Parses the text form; undefined when it is not 1 to 16 hex digits. */
export function parseMessageId(text: string): bigint | undefined {
  return /^[0-9a-f]{1,16}$/i.test(text) ? BigInt(`0x${text}`) : undefined;
}
