/** Entries of the extension's local history for tests: texts numbered n, said one second apart from T0. */
import type { HistoryEntry } from '../../src/history/local-entry';

export const T0 = Date.UTC(2026, 0, 1);
/** Retention that drops nothing. */
export const KEEP_ALL = { maxEntries: 1e9, maxAgeMs: 1e15, maxBytes: 1e15 };

/** Message id n as 16 hex digits. */
export const hex = (n: number): string => n.toString(16).padStart(16, '0');

export type TextEntry = Extract<HistoryEntry, { kind: 'text' }>;

/** Bob's delivered text number n (id, message id and relay seq n), said at T0 + n s. */
export function text(n: number, body = `message ${n}`, overrides: Partial<TextEntry> = {}): TextEntry {
  return {
    kind: 'text',
    id: hex(n),
    messageId: hex(n),
    from: 'bob',
    own: false,
    text: body,
    sentAt: T0 + n * 1000,
    seq: n,
    legacy: false,
    encrypted: false,
    delivered: true,
    ...overrides,
  };
}
