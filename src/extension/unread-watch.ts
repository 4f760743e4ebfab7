/**
 * Keeps the unread count of the room shown in step with what the user has seen: it follows the session's posts
 * (the same stream every chat surface renders), counts the messages of others after the room's read mark, and
 * moves the mark when the chat is read, that is when a chat surface is visible with its newest message in view
 * while the window has the focus. The mark is stored per room (read-marks.ts); the counts go to the view
 * container's badge, the status bar and the webviews (the "New" divider) through `changed`.
 */
import * as vscode from 'vscode';
import { roomKey } from '../history/local-entry';
import { mentionsName } from '../shared/mentions';
import type { EntryView, HostMessage, UnreadView } from '../shared/panel-messages';
import type { ChatSession } from './chat-session';
import { Disposable } from './dispose';
import type { ReadMarks } from './read-marks';
import { UnreadCounter, type CountedEntry } from './unread';

export interface UnreadWatchOptions {
  session: ChatSession;
  marks: ReadMarks;
  /** A chat surface is visible. */
  chatVisible: () => boolean;
  /** A visible chat surface shows the newest message. */
  chatFollowing: () => boolean;
  /** The counts changed (badge, status bar). */
  changed: (unread: UnreadView) => void;
}

export class UnreadWatch extends Disposable {
  readonly #options: UnreadWatchOptions;
  readonly #counter = new UnreadCounter();
  #room: string | undefined;
  #self: string | undefined;
  #seen = false;
  #focused: boolean;
  #last: string = '';

  constructor(options: UnreadWatchOptions) {
    super();
    this.#options = options;
    this.#focused = vscode.window.state.focused;
    options.session.on('post', this.#sessionOnPost);
    this.register({ dispose: () => options.session.off('post', this.#sessionOnPost) });
    this.register(vscode.window.onDidChangeWindowState(this.#windowOnDidChangeState));
  }

  /** The window has the focus (as VS Code last said). */
  get windowFocused(): boolean {
    return this.#focused;
  }

  get unread(): UnreadView {
    return this.#counter.view();
  }

  /** Visibility or scrolling changed on a surface: read what is in view, or note that the reader went away. */
  judge(): void {
    const seen = this.#options.chatVisible() && this.#focused;
    if (seen && !this.#seen) this.#counter.returned();
    this.#seen = seen;
    if (seen && this.#options.chatFollowing()) this.#readAll();
    this.#publish();
  }

  #windowOnDidChangeState = (state: vscode.WindowState): void => {
    this.#focused = state.focused;
    this.judge();
  };

  #sessionOnPost = (message: HostMessage): void => {
    switch (message.type) {
      case 'state': {
        const { room, relay, self, entries } = message.state;
        const key = room !== undefined && relay !== undefined ? roomKey(relay, room) : undefined;
        this.#self = self;
        if (key !== this.#room) {
          this.#room = key;
          this.#counter.reset(entries.map((entry) => this.#counted(entry)), key === undefined ? undefined : this.#options.marks.get(key));
          this.#seen = false;
        } else {
          // The same room again (shown from the local history at a join, after a reconnect): what it adds counts.
          for (const entry of entries) this.#counter.add(this.#counted(entry));
        }
        this.judge();
        return;
      }
      case 'entry': {
        const entry = message.entry;
        // Your own message: you are here, and everything before it is read.
        if (entry.kind !== 'system' && entry.own && entry.delivery !== undefined) {
          this.#counter.add(this.#counted(entry));
          this.#readAll();
          this.#publish();
          return;
        }
        if (this.#counter.add(this.#counted(entry))) this.#publish();
        if (this.#seen && this.#options.chatFollowing()) {
          this.#readAll();
          this.#publish();
        }
        return;
      }
      case 'historyCleared':
        this.#counter.reset([], undefined);
        this.#publish();
        return;
      default:
        return;
    }
  };

  #counted(entry: EntryView): CountedEntry {
    if (entry.kind === 'system') return { id: entry.id, at: entry.at, counts: false, mentionsMe: false };
    const counts = !entry.own && entry.deleted !== true;
    return { id: entry.id, at: entry.sentAt, counts, mentionsMe: counts && mentionsName(entry.mentions, this.#self) };
  }

  #readAll(): void {
    const moved = this.#counter.readAll();
    if (moved !== undefined && this.#room !== undefined) void this.#options.marks.set(this.#room, moved, Date.now());
  }

  /** Posts the counts when they (or the divider's place) changed. */
  #publish(): void {
    const view = this.#counter.view();
    const key = JSON.stringify(view);
    if (key === this.#last) return;
    this.#last = key;
    this.#options.session.setUnread(view);
    this.#options.changed(view);
  }
}
