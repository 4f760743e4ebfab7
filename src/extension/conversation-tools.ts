/**
 * Replies, reactions, edits, deletes and typing, as the panel shows them: what others do arrives as client events
 * and changes the entry it names; what this user does goes through the client and changes the entry at once (the
 * client does not echo one's own actions). Who is typing is a TypingSet behind one timer. Only a message's own
 * sender's edit or delete is applied (the client checks it too).
 */
import { ChatClientError, type ChatClient } from '../client/client';
import type { PresenceState, ReactionView, ReplyView } from '../shared/panel-messages';
import { MAX_EXCERPT_CHARS } from '../shared/panel-messages';
import { mentionedNames } from '../shared/mentions';
import { snippetLocation } from '../shared/snippet';
import type { StoredEntry } from './conversation-history';
import type { PanelState } from './panel-state';
import { messageIdOf } from './history-entries';
import type { HistoryAnnotation } from './session-history';
import { TypingSet } from './typing-set';

/** What the client emits for the actions of others (see the client's types: ChatReaction, ChatEdit, ...). */
export interface ReactionEvent {
  id: string;
  from: string;
  emoji: string;
  on: boolean;
}
export interface EditEvent {
  id: string;
  from: string;
  text: string;
  editedAt: number;
  mentions?: string[];
}
export interface DeleteEvent {
  id: string;
  from: string;
}
export interface TypingEvent {
  from: string;
}
export interface PresenceEvent {
  from: string;
  state: PresenceState;
}

/** The client's methods for this user's own actions. */
export interface ToolsClient {
  sendReply(replyTo: string, text: string): string;
  react(id: string, emoji: string): { on: boolean; id: string };
  editMessage(id: string, text: string): string;
  deleteMessage(id: string): string;
  sendTyping(): void;
}

type ToolEvents = { reaction: [ReactionEvent]; edit: [EditEvent]; delete: [DeleteEvent]; typing: [TypingEvent]; presence: [PresenceEvent] };
type ToolListener = <E extends keyof ToolEvents>(event: E, listener: (...args: ToolEvents[E]) => void) => unknown;

export interface ConversationToolsOptions {
  panel: PanelState;
  /** Members' names now (for the mentions of an edited text). */
  memberNames: () => string[];
  /** Who is typing changed. */
  typingChanged: (names: string[]) => void;
  /** A member said they are active or away (a client that can: the `presence` event). */
  presenceChanged?: () => void;
  /** A change applied to a shown message, for the local history (ids are message ids). */
  persist?: (change: HistoryAnnotation) => void;
  now?: () => number;
}

/** The start of a message, as a quote shows it: one line, at most MAX_EXCERPT_CHARS. */
export function excerptOf(entry: StoredEntry | undefined): string | undefined {
  if (entry === undefined || entry.kind === 'system') return undefined;
  if (entry.deleted === true) return 'deleted message';
  if (entry.kind === 'image') return 'an image';
  // A snippet is quoted by where it came from: its first line of code says less than `src/a.ts:L10–L24`.
  if (entry.snippet !== undefined) return clip(snippetLocation(entry.snippet));
  return clip(entry.text.replace(/\s+/g, ' ').trim());
}

function clip(line: string): string {
  return line.length <= MAX_EXCERPT_CHARS ? line : `${line.slice(0, MAX_EXCERPT_CHARS - 1)}…`;
}

export class ConversationTools {
  readonly #options: ConversationToolsOptions;
  readonly #typing = new TypingSet();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #now: () => number;
  /** What members said of their presence, by name (those who left are forgotten). */
  readonly #presence = new Map<string, PresenceState>();

  constructor(options: ConversationToolsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** What `name` last said of their presence, if anything. */
  presenceOf(name: string): PresenceState | undefined {
    return this.#presence.get(name);
  }

  typingNames(): string[] {
    return this.#typing.names(this.#now());
  }

  /** The quote of message `id`, with its sender and start when it is held. */
  replyView(id: string): ReplyView {
    const entry = this.#options.panel.message(id);
    if (entry === undefined) return { id };
    return { id, from: entry.from, excerpt: excerptOf(entry) };
  }

  /** Listens for what others do on `client`; the listeners go with the client's. */
  wire(client: ChatClient): void {
    const on = client.on.bind(client) as unknown as ToolListener;
    on('reaction', (event) => this.#reacted(event.id, event.from, event.emoji, event.on));
    on('edit', (event) => this.#edited(event));
    on('delete', (event) => this.#deleted(event.id, event.from));
    on('typing', (event) => {
      if (this.#typing.heard(event.from, this.#now())) this.#typingChanged();
      this.#arm();
    });
    client.on('message', (message) => {
      if (this.#typing.stopped(message.from)) this.#typingChanged();
    });
    client.on('memberLeft', (member) => {
      this.#presence.delete(member.name);
      if (this.#typing.stopped(member.name)) this.#typingChanged();
    });
    on('presence', (event) => {
      if (event.state !== 'active' && event.state !== 'away') return;
      this.#presence.set(event.from, event.state);
      this.#options.presenceChanged?.();
    });
  }

  /** The client went away: nobody is typing any more. */
  reset(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#presence.clear();
    if (this.#typing.clear()) this.#typingChanged();
  }

  reply(client: ChatClient, replyTo: string, text: string): string {
    return tools(client).sendReply(replyTo, text);
  }

  /** Turns this user's `emoji` on message `id` on or off (`on`: what the panel showed it would become). */
  react(client: ChatClient, id: string, emoji: string, on: boolean): void {
    const mine = this.#options.panel.message(id)?.reactions?.find((reaction) => reaction.emoji === emoji)?.from.includes(client.name) ?? false;
    // The client toggles: asked for the state it already has, there is nothing to do.
    if (mine === on) return;
    const result = tools(client).react(id, emoji);
    this.#reacted(id, client.name, emoji, result.on);
  }

  edit(client: ChatClient, id: string, text: string): void {
    tools(client).editMessage(id, text);
    this.#edited({ id, from: client.name, text, editedAt: Date.now() });
  }

  remove(client: ChatClient, id: string): void {
    tools(client).deleteMessage(id);
    this.#deleted(id, client.name);
  }

  typing(client: ChatClient): void {
    const send = (client as Partial<ToolsClient>).sendTyping;
    if (typeof send === 'function') send.call(client);
  }

  #reacted(id: string, from: string, emoji: string, on: boolean): void {
    const { panel } = this.#options;
    const entry = panel.message(id);
    if (entry === undefined || entry.deleted === true) return;
    panel.patch(id, { reactions: toggled(entry.reactions ?? [], from, emoji, on) });
    this.#options.persist?.({ op: 'react', messageId: messageIdOf(id), from, emoji, on });
  }

  #edited(event: EditEvent): void {
    const { panel } = this.#options;
    const entry = panel.message(event.id);
    // Only the sender's own edit, of a text that is still there.
    if (entry === undefined || entry.kind !== 'text' || entry.from !== event.from || entry.deleted === true) return;
    const mentions = event.mentions ?? mentionedNames(event.text, this.#options.memberNames());
    panel.patch(event.id, { text: event.text, editedAt: event.editedAt, mentions: mentions.length > 0 ? mentions : undefined });
    this.#options.persist?.({ op: 'edit', from: event.from, messageId: messageIdOf(event.id), text: event.text, editedAt: event.editedAt });
  }

  #deleted(id: string, from: string): void {
    const { panel } = this.#options;
    const entry = panel.message(id);
    if (entry === undefined || entry.from !== from || entry.deleted === true) return;
    panel.patch(id, { deleted: true, text: '', reactions: undefined, mentions: undefined });
    this.#options.persist?.({ op: 'remove', from, messageId: messageIdOf(id) });
  }

  #typingChanged(): void {
    this.#options.typingChanged(this.typingNames());
  }

  /** One timer, at the earliest time a typing name runs out. */
  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const next = this.#typing.nextExpiry();
    if (next === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#typing.expire(this.#now())) this.#typingChanged();
      this.#arm();
    }, Math.max(0, next - this.#now()));
    this.#timer.unref?.();
  }
}

/** The client's methods for one's own actions, or a ChatClientError when this client has none. */
function tools(client: ChatClient): ToolsClient {
  const candidate = client as unknown as Partial<ToolsClient>;
  if (typeof candidate.sendReply !== 'function' || typeof candidate.react !== 'function') {
    throw new ChatClientError('unsupported', 'replies, reactions and edits are not available in this version');
  }
  return candidate as ToolsClient;
}

/** The reactions of a message with `from`'s `emoji` turned on or off; an emoji nobody has left goes. */
export function toggled(reactions: readonly ReactionView[], from: string, emoji: string, on: boolean): ReactionView[] | undefined {
  const next: ReactionView[] = [];
  let found = false;
  for (const reaction of reactions) {
    if (reaction.emoji !== emoji) {
      next.push(reaction);
      continue;
    }
    found = true;
    const others = reaction.from.filter((name) => name !== from);
    const names = on ? [...others, from] : others;
    if (names.length > 0) next.push({ emoji, from: names });
  }
  if (!found && on) next.push({ emoji, from: [from] });
  return next.length > 0 ? next : undefined;
}

/** Replies read back from the local history name only the message they answer: its sender and words are added from it. */
export function withQuotes(entries: StoredEntry[]): StoredEntry[] {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  return entries.map((entry) => {
    if (entry.kind === 'system' || entry.replyTo === undefined || entry.replyTo.from !== undefined) return entry;
    const original = byId.get(entry.replyTo.id);
    if (original === undefined || original.kind === 'system') return entry;
    return { ...entry, replyTo: { id: original.id, from: original.from, excerpt: excerptOf(original) } };
  });
}
