/**
 * Entries between the panel's form (StoredEntry: what it shows, delivery state included) and the local history's
 * (HistoryEntry: plus the sender's message id, the relay's number, delivered or not). Pure.
 */
import type { ChatImage, ChatText } from '../client/client';
import type { HistoryEntry } from '../history/local-entry';
import type { StoredEntry } from './conversation-history';

/** The message id behind an entry id (a received message whose id another sender held is `hash-id`). */
export function messageIdOf(entryId: string): string {
  const dash = entryId.lastIndexOf('-');
  return dash < 0 ? entryId : entryId.slice(dash + 1);
}

/** A received message as the panel would keep it, for a copy that only brings its sequence number. */
export function received(message: ChatText | ChatImage, file: string | undefined): StoredEntry {
  const common = { id: message.id, from: message.from, own: false, sentAt: message.sentAt, legacy: message.legacy, encrypted: message.encrypted };
  return 'text' in message
    ? { ...common, kind: 'text', text: message.text, ...(message.snippet !== undefined ? { snippet: message.snippet } : {}) }
    : { ...common, kind: 'image', image: { file, width: message.width, height: message.height, bytes: message.data.byteLength } };
}

export function toHistory(entry: StoredEntry, seq: number | undefined): HistoryEntry {
  if (entry.kind === 'system') return { kind: 'system', id: entry.id, text: entry.text, at: entry.at, tone: entry.tone };
  const delivered = !entry.own || entry.delivery === undefined || entry.delivery.state === 'delivered';
  const common = {
    id: entry.id,
    messageId: messageIdOf(entry.id),
    from: entry.from,
    own: entry.own,
    sentAt: entry.sentAt,
    seq,
    legacy: entry.legacy,
    encrypted: entry.encrypted,
    delivered,
  };
  // Reactions are not appended (the store keeps them through `react`); the rest of what changed a message is.
  const extras = {
    ...(entry.replyTo !== undefined ? { replyTo: entry.replyTo.id } : {}),
    ...(entry.editedAt !== undefined ? { editedAt: entry.editedAt } : {}),
    ...(entry.deleted === true ? { deleted: true } : {}),
  };
  return entry.kind === 'text'
    ? { ...common, ...extras, kind: 'text', text: entry.text, ...(entry.snippet !== undefined ? { snippet: entry.snippet } : {}) }
    : { ...common, ...extras, kind: 'image', image: { ...entry.image } };
}

/** An entry of the history as the panel keeps it; a message of yours never delivered says so. */
export function toStored(entry: HistoryEntry): StoredEntry {
  if (entry.kind === 'system') return entry;
  const { messageId: _id, seq: _seq, delivered, ...common } = entry;
  const delivery = delivered ? undefined : { state: 'failed' as const, progress: 0, reason: 'not delivered before the chat closed', discarded: true };
  const base = {
    id: common.id,
    from: common.from,
    own: common.own,
    sentAt: common.sentAt,
    legacy: common.legacy,
    encrypted: common.encrypted,
    // The quote's sender and words are filled in from the original when it is shown with it (ChatSession).
    ...(common.replyTo !== undefined ? { replyTo: { id: common.replyTo } } : {}),
    ...(common.editedAt !== undefined ? { editedAt: common.editedAt } : {}),
    ...(common.deleted === true ? { deleted: true } : {}),
    ...(common.reactions !== undefined && common.reactions.length > 0 ? { reactions: common.reactions.map((r) => ({ emoji: r.emoji, from: [...r.from] })) } : {}),
  };
  const withDelivery = delivery ? { ...base, delivery } : base;
  return common.kind === 'text'
    ? { ...withDelivery, kind: 'text', text: common.text, ...(common.snippet !== undefined ? { snippet: common.snippet } : {}) }
    : { ...withDelivery, kind: 'image', image: { ...common.image } };
}
