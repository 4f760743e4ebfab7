/** A node EventEmitter whose event names and listener arguments are checked by the compiler. */
import { EventEmitter } from 'node:events';

export type EventMap = { [event: string]: unknown[] };

export class TypedEmitter<Events extends EventMap> {
  /** Never set: lets generic helpers (e.g. test utilities) recover the event map from an emitter's type. */
  declare readonly eventTypes?: Events;
  readonly #emitter = new EventEmitter();

  on<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  removeAllListeners(): this {
    this.#emitter.removeAllListeners();
    return this;
  }

  listenerCount<E extends keyof Events & string>(event: E): number {
    return this.#emitter.listenerCount(event);
  }

  /** Like EventEmitter.emit, except that an 'error' event nobody listens to is dropped instead of thrown. */
  protected emit<E extends keyof Events & string>(event: E, ...args: Events[E]): boolean {
    if (event === 'error' && this.#emitter.listenerCount(event) === 0) return false;
    return this.#emitter.emit(event, ...args);
  }
}

/** The event map of an emitter type. */
export type EventsOf<S> = S extends { readonly eventTypes?: infer E } ? (E extends EventMap ? E : never) : never;
