/**
 * What happens to a message after it is kept: its sender's edit or delete, anyone's reaction. The chat client has
 * already checked that an edit or delete comes from the message's sender; the store changes only the row of that
 * sender's message (same sender name and message id), so a confused caller cannot change another's. A deleted
 * message keeps its place (shown as deleted) but not its text, nor its image's file, nor its reactions.
 */
import { foldForSearch } from './search-text';
import type { Database } from './sqlite';
import type { HistoryReaction } from './local-entry';

/** Most reactions read for one page (rows): 500 entries with a few reactions each. */
const MAX_REACTION_ROWS = 10_000;

export class LocalChanges {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Replaces the text of `from`'s message `messageId` (not a deleted one, not an image); false when none. */
  edit(room: number, change: { from: string; messageId: string; text: string; editedAt: number }): boolean {
    return (
      this.#db.run(
        `UPDATE entries SET body = ?, folded = ?, edited_at = ?, bytes = bytes - 2 * length(body) + ?
         WHERE room = ? AND sender = ? AND message_id = ? AND kind = 'text' AND deleted = 0`,
        [change.text, foldForSearch(change.text), change.editedAt, 2 * change.text.length, room, change.from, change.messageId],
      ).changes > 0
    );
  }

  /** Deletes `from`'s message `messageId`: its text, image file reference and reactions go; false when none. */
  remove(room: number, change: { from: string; messageId: string }): boolean {
    return this.#db.transaction(() => {
      const changed = this.#db.run(
        `UPDATE entries SET body = '', folded = '', image_file = NULL, deleted = 1, bytes = bytes - 2 * length(body)
         WHERE room = ? AND sender = ? AND message_id = ? AND kind != 'system' AND deleted = 0`,
        [room, change.from, change.messageId],
      ).changes;
      if (changed > 0) this.#db.run('DELETE FROM reactions WHERE room = ? AND message_id = ?', [room, change.messageId]);
      return changed > 0;
    });
  }

  /** `from`'s reaction `emoji` on message `messageId`, on or off. */
  react(room: number, change: { messageId: string; from: string; emoji: string; on: boolean }): void {
    if (change.on) {
      this.#db.run('INSERT OR IGNORE INTO reactions (room, message_id, emoji, member) VALUES (?, ?, ?, ?)', [room, change.messageId, change.emoji, change.from]);
    } else {
      this.#db.run('DELETE FROM reactions WHERE room = ? AND message_id = ? AND emoji = ? AND member = ?', [room, change.messageId, change.emoji, change.from]);
    }
  }

  /** The reactions on each of `messageIds`: by emoji, emoji and names sorted. */
  reactionsOf(room: number, messageIds: readonly string[]): Map<string, HistoryReaction[]> {
    const byMessage = new Map<string, HistoryReaction[]>();
    if (messageIds.length === 0) return byMessage;
    const rows = this.#db.all(
      `SELECT message_id, emoji, member FROM reactions WHERE room = ? AND message_id IN (SELECT value FROM json_each(?))
       ORDER BY message_id, emoji, member LIMIT ?`,
      [room, JSON.stringify(messageIds), MAX_REACTION_ROWS],
    );
    for (const row of rows) {
      const id = String(row['message_id']);
      const emoji = String(row['emoji']);
      const list = byMessage.get(id) ?? [];
      const last = list.at(-1);
      if (last?.emoji === emoji) last.from.push(String(row['member']));
      else list.push({ emoji, from: [String(row['member'])] });
      byMessage.set(id, list);
    }
    return byMessage;
  }

  /** Forgets reactions on messages the room no longer holds (after retention or a clear). */
  forgetOrphans(room: number): void {
    this.#db.run('DELETE FROM reactions WHERE room = ? AND message_id NOT IN (SELECT message_id FROM entries WHERE room = ?)', [room, room]);
  }
}
