/**
 * Whether a message from someone else deserves a notification, from the `udpChat.notifications` setting, whether
 * it mentions you, and whether you are looking at the chat right now (a chat view or panel visible AND the window
 * focused: a visible chat in a window you are not in is not seen). Pure; also the setting's values of before
 * (`whenHidden`, `always`, `never`) and what each becomes.
 */

/** `mentions`: only messages that mention you; `all`: every message; `off`: none. */
export type NotifyOn = 'mentions' | 'all' | 'off';

export const DEFAULT_NOTIFY_ON: NotifyOn = 'mentions';

/**
 * The setting's former values: `whenHidden` (every message while the panel was hidden) and `always` asked for
 * every message, so they become `all` (which still stays quiet while you look at the chat); `never` is `off`.
 */
export const LEGACY_NOTIFY_ON: Readonly<Record<string, NotifyOn>> = { whenHidden: 'all', always: 'all', never: 'off' };

/** The setting's value as the extension uses it: a current value, a former one translated, else the default. */
export function notifyOn(raw: unknown): NotifyOn {
  if (raw === 'mentions' || raw === 'all' || raw === 'off') return raw;
  if (typeof raw === 'string' && Object.hasOwn(LEGACY_NOTIFY_ON, raw)) return LEGACY_NOTIFY_ON[raw] as NotifyOn;
  return DEFAULT_NOTIFY_ON;
}

export interface Attention {
  /** A chat view or the chat panel is visible. */
  chatVisible: boolean;
  /** The VS Code window has the focus. */
  windowFocused: boolean;
}

/** Whether the user is looking at the chat: visible in the window they are in. */
export function chatSeen(attention: Attention): boolean {
  return attention.chatVisible && attention.windowFocused;
}

/** Whether a new message from someone else notifies. */
export function shouldNotify(mode: NotifyOn, message: { mentionsMe: boolean }, attention: Attention): boolean {
  if (chatSeen(attention)) return false;
  switch (mode) {
    case 'off':
      return false;
    case 'mentions':
      return message.mentionsMe;
    case 'all':
      return true;
    default:
      return assertNever(mode);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown notification mode ${String(value)}`);
}
