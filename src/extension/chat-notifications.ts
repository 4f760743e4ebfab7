/**
 * New-message notifications: whether a message notifies (notification-policy.ts, from `udpChat.notifications`,
 * a mention of you and whether the chat is seen), at most one per interval with a count of the others
 * (notification-throttle.ts), with "Open Chat" and "Reply". The sender and the text are the network's: they are
 * made inert plain text (plain-text.ts) inside our own words, never links or Markdown; a snippet is named by its
 * place (snippet-notice.ts), not its code.
 */
import * as vscode from 'vscode';
import type { IncomingNotice } from './chat-session';
import { shouldNotify, type Attention, type NotifyOn } from './notification-policy';
import { NotificationThrottle } from './notification-throttle';
import { incomingNotice } from './plain-text';
import { snippetNotice } from './snippet-notice';

export const OPEN_CHAT = 'Open Chat';
export const REPLY = 'Reply';

export interface ChatNotificationsOptions {
  mode: () => NotifyOn;
  attention: () => Attention;
  openChat: () => void;
  reply: (id: string) => void;
  /** The clock notifications are throttled on (ms). */
  now?: () => number;
}

export class ChatNotifications {
  readonly #options: ChatNotificationsOptions;
  readonly #throttle = new NotificationThrottle();

  constructor(options: ChatNotificationsOptions) {
    this.#options = options;
  }

  /** A live message from someone else was shown. */
  incoming(notice: IncomingNotice): void {
    if (!shouldNotify(this.#options.mode(), notice, this.#options.attention())) return;
    const offer = this.#throttle.offer((this.#options.now ?? Date.now)());
    if (!offer.show) return;
    const text =
      notice.snippet !== undefined ? snippetNotice(notice.from, notice.snippet, offer.more) : incomingNotice(notice.from, notice.text, offer.more, notice.mentionsMe);
    void vscode.window.showInformationMessage(text, OPEN_CHAT, REPLY).then((choice) => {
      if (choice === OPEN_CHAT) this.#options.openChat();
      else if (choice === REPLY) this.#options.reply(notice.id);
    });
  }
}
