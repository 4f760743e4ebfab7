/** Waiting for events in tests: every wait has a timeout that fails with what was expected. */
import type { EventsOf, TypedEmitter, EventMap } from '../../src/util/typed-emitter';

type Emitter = TypedEmitter<EventMap>;

/** Resolves with the arguments of the first `event` whose arguments satisfy `accept`. */
export function nextEvent<S extends Emitter, E extends keyof EventsOf<S> & string>(
  source: S,
  event: E,
  accept: (...args: EventsOf<S>[E]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<EventsOf<S>[E]> {
  const emitter = source as Emitter;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const listener = (...args: unknown[]): void => {
      if (!accept(...(args as EventsOf<S>[E]))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as EventsOf<S>[E]);
    };
    emitter.on(event, listener);
  });
}

/** Collects the arguments of every `event` from now on. */
export function collect<S extends Emitter, E extends keyof EventsOf<S> & string>(source: S, event: E): Array<EventsOf<S>[E]> {
  const seen: Array<EventsOf<S>[E]> = [];
  (source as Emitter).on(event, (...args: unknown[]) => seen.push(args as EventsOf<S>[E]));
  return seen;
}

/** Polls `condition` every 10 ms until it holds; fails with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
