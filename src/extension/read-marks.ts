/**
 * Where each room was read up to, kept across restarts in the extension's globalState (a Memento), bounded: at
 * most MAX_ROOMS rooms, the ones read longest ago forgotten first, and only marks of a known shape are read back.
 */
import type { ReadMark } from './unread';

/** Rooms whose read mark is kept: far more than anyone visits, a few tens of KB of globalState at most. */
export const MAX_ROOMS = 200;
/** Longest room key kept (a relay address and a room name are far shorter). */
const MAX_KEY_CHARS = 400;
const STATE_KEY = 'udpChat.readMarks';

/** The part of vscode.Memento used here, so the rule is tested without VS Code. */
export interface MarkMemento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

interface StoredMark {
  id: string;
  at: number;
  /** When it was stored (ms since the epoch): the least recently read room is forgotten first. */
  savedAt: number;
}

function isStoredMark(value: unknown): value is StoredMark {
  if (typeof value !== 'object' || value === null) return false;
  const mark = value as Record<string, unknown>;
  return typeof mark.id === 'string' && mark.id.length <= 40 && Number.isFinite(mark.at) && Number.isFinite(mark.savedAt);
}

export class ReadMarks {
  readonly #memento: MarkMemento;

  constructor(memento: MarkMemento) {
    this.#memento = memento;
  }

  get(room: string): ReadMark | undefined {
    const stored = this.#all()[room];
    return isStoredMark(stored) ? { id: stored.id, at: stored.at } : undefined;
  }

  /** Stores `mark` for `room` at `now` (ms), forgetting the rooms read longest ago past MAX_ROOMS. */
  set(room: string, mark: ReadMark, now: number): Thenable<void> | undefined {
    if (room.length > MAX_KEY_CHARS) return undefined;
    const marks: Record<string, StoredMark> = {};
    for (const [key, value] of Object.entries(this.#all())) if (isStoredMark(value) && key !== room) marks[key] = value;
    marks[room] = { id: mark.id, at: mark.at, savedAt: now };
    const keys = Object.keys(marks);
    if (keys.length > MAX_ROOMS) {
      keys.sort((a, b) => (marks[a] as StoredMark).savedAt - (marks[b] as StoredMark).savedAt);
      for (const key of keys.slice(0, keys.length - MAX_ROOMS)) delete marks[key];
    }
    return this.#memento.update(STATE_KEY, marks);
  }

  #all(): Record<string, unknown> {
    const all = this.#memento.get<unknown>(STATE_KEY);
    return typeof all === 'object' && all !== null && !Array.isArray(all) ? (all as Record<string, unknown>) : {};
  }
}
