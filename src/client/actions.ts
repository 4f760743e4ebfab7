/**
 * Who may do what to a message: the client remembers the sender of every message it has seen (or sent), so an
 * edit or delete is applied only when it comes from that sender, on every client, whatever the sender's own client
 * allowed. Reactions are anyone's, kept per (message, member, emoji) so `toggle` knows which way ours goes. An
 * action that comes before its message (a live edit overtaking the backlog) is held until the message comes.
 * Bounded in entries and bytes; pure (no clock: nothing here depends on time).
 */
import { formatMessageId } from '../protocol/ids';
import type { InboundAction } from './inbound';
import type { ChatDelete, ChatEdit, ChatReaction, IgnoredActions } from './types';

/** Message senders remembered (entries, oldest forgotten first): ~200 bytes each, about 2 MB in all. */
const REMEMBERED_SENDERS = 10_000;
/** Reactions that are on, remembered (entries): ~150 bytes each. */
const REMEMBERED_REACTIONS = 10_000;
/** Actions held for a message not seen yet: at most this many... */
const MAX_HELD_ACTIONS = 256;
/** ...and this many bytes of their text (UTF-16, 2 bytes a unit): an edit can be as long as a text. */
const MAX_HELD_BYTES = 1 << 20;
/** Bytes counted for a held action besides its text. */
const HELD_OVERHEAD_BYTES = 256;

export type LedgerEvent =
  | { kind: 'reaction'; reaction: ChatReaction }
  | { kind: 'edit'; edit: ChatEdit }
  | { kind: 'delete'; deletion: ChatDelete };

/** What we may do to a message, for the checks before sending an edit or a delete (an image or snippet of ours: delete only). */
export type Ownership = 'own' | 'not-own' | 'unknown' | 'deleted' | 'image' | 'snippet';

/** What a message is, as far as edits go: a text's words can change; an image has none, a snippet's code is a quote of a file. */
export type MessageShape = 'text' | 'image' | 'snippet';

interface Sender {
  key: string;
  shape: MessageShape;
  deleted: boolean;
}

export class ActionLedger {
  /** By formatted message id; the first sender seen for an id keeps it (a later claim of the same id is ignored). */
  readonly #senders = new Map<string, Sender>();
  readonly #reactions = new Set<string>();
  #held: InboundAction[] = [];
  #heldBytes = 0;
  readonly #log: (level: 'debug' | 'info' | 'warn', message: string) => void;
  readonly ignored: IgnoredActions = { notOwn: 0, unknownKind: 0, unknownTarget: 0, malformed: 0 };

  constructor(log: (level: 'debug' | 'info' | 'warn', message: string) => void) {
    this.#log = log;
  }

  /** A message seen (or sent by us, `senderKey` ours): what was held for it is applied now, in arrival order. */
  message(id: string, senderKey: string, shape: MessageShape): LedgerEvent[] {
    if (!this.#senders.has(id)) {
      this.#senders.set(id, { key: senderKey, shape, deleted: false });
      if (this.#senders.size > REMEMBERED_SENDERS) this.#senders.delete(this.#senders.keys().next().value as string);
    }
    if (this.#held.length === 0) return [];
    const ready = this.#held.filter((action) => targetOf(action) === id);
    if (ready.length === 0) return [];
    this.#held = this.#held.filter((action) => targetOf(action) !== id);
    this.#heldBytes -= ready.reduce((sum, action) => sum + heldBytes(action), 0);
    return ready.flatMap((action) => this.action(action));
  }

  /** An action received: the events it makes, or none (ignored, counted, or held for its message). */
  action(action: InboundAction): LedgerEvent[] {
    const what = action.what;
    if (what.kind === 'unknown') {
      this.ignored.unknownKind++;
      this.#log('debug', `ignored a text of kind ${what.code} from ${action.from}: this version does not know it`);
      return [];
    }
    const id = targetOf(action);
    const sender = this.#senders.get(id);
    if (!sender) {
      this.#hold(action);
      return [];
    }
    // A deleted message takes nothing more: its text is gone everywhere.
    if (sender.deleted) return [];
    const common = { id, from: action.from, fromId: action.fromId, ...(action.backlog ? { backlog: true } : {}) };
    switch (what.kind) {
      case 'reaction': {
        const key = reactionKey(id, action.senderKey, what.emoji);
        this.#reactions.delete(key);
        if (what.on) {
          this.#reactions.add(key);
          if (this.#reactions.size > REMEMBERED_REACTIONS) this.#reactions.delete(this.#reactions.values().next().value as string);
        }
        return [{ kind: 'reaction', reaction: { ...common, emoji: what.emoji, on: what.on } }];
      }
      case 'edit':
        if (!this.#mayChange(sender, action, 'edit')) return [];
        if (sender.shape !== 'text') {
          this.ignored.malformed++;
          this.#log('warn', `ignored an edit of ${sender.shape} ${id} from ${action.from}: ${sender.shape === 'image' ? 'images have no text' : 'a snippet quotes a file; it is not edited'}`);
          return [];
        }
        return [{ kind: 'edit', edit: { ...common, text: action.text, editedAt: action.sentAt } }];
      case 'delete':
        if (!this.#mayChange(sender, action, 'delete')) return [];
        sender.deleted = true;
        return [{ kind: 'delete', deletion: { ...common, deletedAt: action.sentAt } }];
      default: {
        const never: never = what;
        throw new Error(`unexpected action: ${JSON.stringify(never)}`);
      }
    }
  }

  /** What `senderKey` (ours) may do to message `id`. */
  ownership(id: string, senderKey: string): Ownership {
    const sender = this.#senders.get(id);
    if (!sender) return 'unknown';
    if (sender.key !== senderKey) return 'not-own';
    if (sender.deleted) return 'deleted';
    return sender.shape === 'text' ? 'own' : sender.shape;
  }

  /** Whether `senderKey`'s reaction `emoji` on `id` is on. */
  reacted(id: string, senderKey: string, emoji: string): boolean {
    return this.#reactions.has(reactionKey(id, senderKey, emoji));
  }

  /** Our reaction `emoji` on `id` flips; returns whether it is now on. */
  toggle(id: string, senderKey: string, emoji: string): boolean {
    const key = reactionKey(id, senderKey, emoji);
    if (this.#reactions.delete(key)) return false;
    this.#reactions.add(key);
    if (this.#reactions.size > REMEMBERED_REACTIONS) this.#reactions.delete(this.#reactions.values().next().value as string);
    return true;
  }

  /** We deleted one of our messages: nothing more is sent or applied for it. */
  deletedOwn(id: string): void {
    const sender = this.#senders.get(id);
    if (sender) sender.deleted = true;
  }

  #mayChange(sender: Sender, action: InboundAction, what: 'edit' | 'delete'): boolean {
    if (sender.key === action.senderKey) return true;
    this.ignored.notOwn++;
    this.#log('warn', `ignored an ${what} of message ${targetOf(action)} from ${action.from}, who did not send it`);
    return false;
  }

  #hold(action: InboundAction): void {
    this.#held.push(action);
    this.#heldBytes += heldBytes(action);
    while (this.#held.length > MAX_HELD_ACTIONS || this.#heldBytes > MAX_HELD_BYTES) {
      const oldest = this.#held.shift() as InboundAction;
      this.#heldBytes -= heldBytes(oldest);
      this.ignored.unknownTarget++;
      this.#log('debug', `forgot a ${oldest.what.kind} from ${oldest.from} for message ${targetOf(oldest)}, which never came`);
    }
  }
}

function targetOf(action: InboundAction): string {
  return action.what.kind === 'unknown' ? '' : formatMessageId(action.what.target);
}

function heldBytes(action: InboundAction): number {
  return HELD_OVERHEAD_BYTES + action.text.length * 2;
}

function reactionKey(id: string, senderKey: string, emoji: string): string {
  return `${id}\n${senderKey}\n${emoji}`;
}
