/**
 * What others send, as the panel shows it: texts, images (checked and saved before they are shown), members who
 * come and go, the "Receiving an image" rows and the problems worth a line. Every row opened here ends: when the
 * image arrives, when the client drops it (`incomingDropped`: a duplicate, unreadable, malformed, incomplete, too
 * large) or when a problem names it. The session's own lifecycle (state, fatal errors, deliveries) stays in
 * ChatSession.
 */
import type { ChatClient, ChatImage, ChatText, ReadyInfo } from '../client/client';
import type { HostMessage, MemberView, ReplyView } from '../shared/panel-messages';
import { mentionedNames, mentionsName } from '../shared/mentions';
import type { IncomingNotice } from './chat-session-types';
import type { StoredEntry } from './conversation-history';
import type { PanelState } from './panel-state';
import { relayPlace } from './relay-history';
import type { RelayPlace, Route } from './session-history';
import type { SessionImages } from './session-images';

export interface IncomingOptions {
  panel: PanelState;
  images: SessionImages;
  /** The receive limit in pixels (`udpChat.image.maxMegapixels`), read for each image. */
  maxReceivedPixels: () => number;
  members: () => MemberView[];
  post: (message: HostMessage) => void;
  /** A live message from someone else was shown (for notifications). */
  notify: (notice: IncomingNotice) => void;
  /** Your name in the room (for the mentions of you). */
  self: () => string;
  /** The quote of the message a reply answers. */
  replyView: (id: string) => ReplyView;
  /** The local history: which messages it holds already, and those to keep without showing (older pages). */
  history?: { route(message: ChatText | ChatImage, place: RelayPlace): Route; keep(entry: StoredEntry): void };
}

/** Attaches the listeners for what `client` receives; they go when the client's listeners are removed. */
export function wireIncoming(client: ChatClient, options: IncomingOptions): void {
  const { panel } = options;
  const system = (text: string, tone: 'info' | 'warning' | 'error', keep = false): void => panel.addSystem(text, tone, Date.now(), keep);
  // Who came and went is kept in the room's history; connection troubles and warnings are not.
  client.on('memberJoined', (member) => {
    system(`${member.name} joined${member.legacy ? ' (legacy client)' : ''}.`, 'info', true);
    options.post({ type: 'members', members: options.members() });
  });
  client.on('memberLeft', (member, reason) => {
    system(`${member.name} left${reason === 'quit' ? '' : ` (${reason})`}.`, 'info', true);
    options.post({ type: 'members', members: options.members() });
  });
  client.on('message', (message) => onText(message, options));
  client.on('image', (image) => void onImage(image, options));
  client.on('incoming', (progress) => {
    // A copy of an image already shown (resent after a relay restart) will be dropped: no row for it.
    if (progress.kind !== 'image' || panel.has(progress.id)) return;
    panel.setTransfer({
      id: `in-${progress.id}`,
      direction: 'incoming',
      label: `Receiving an image from ${progress.from}`,
      progress: progress.receivedFragments / progress.totalFragments,
    });
  });
  client.on('incomingDropped', (drop) => panel.endTransfer(`in-${drop.id}`));
  client.on('error', (problem) => {
    if (problem.messageId) panel.endTransfer(`in-${problem.messageId}`);
    // Fatal ones are the session's to report, once.
    if (!problem.fatal) system(problem.message, 'warning');
  });
}

/** The optional fields a reply and mentions add (the client's `replyTo` and `mentions`, else mentions from the text). */
type ExtendedText = ChatText & { replyTo?: string; mentions?: string[] };

function onText(received: ChatText, options: IncomingOptions): void {
  const message = received as ExtendedText;
  const place = relayPlace(message);
  const route = options.history?.route(message, place) ?? 'show';
  if (route === 'known') return;
  const names = options.members().map((member) => member.name);
  // A snippet's code mentions nobody (the client says the same): `@name` there is code.
  const mentions = message.snippet !== undefined ? [] : (message.mentions ?? mentionedNames(message.text, [...names, options.self()]));
  const entry: StoredEntry = {
    kind: 'text',
    id: route === 'keep' ? message.id : receivedEntryId(options.panel, message),
    from: message.from,
    own: false,
    text: message.text,
    sentAt: message.sentAt,
    legacy: message.legacy,
    encrypted: message.encrypted,
    ...(mentions.length > 0 ? { mentions } : {}),
    ...(message.replyTo !== undefined ? { replyTo: options.replyView(message.replyTo) } : {}),
    ...(message.snippet !== undefined ? { snippet: message.snippet } : {}),
  };
  if (route === 'keep') return options.history?.keep(entry);
  options.panel.add(entry);
  // What was said while you were away is shown, not announced one by one.
  if (!place.backlog) {
    const snippet = message.snippet !== undefined ? { snippet: message.snippet } : {};
    options.notify({ id: entry.id, from: message.from, text: message.text, mentionsMe: mentionsName(mentions, options.self()), ...snippet });
  }
}

async function onImage(received: ChatImage, options: IncomingOptions): Promise<void> {
  const { panel } = options;
  const place = relayPlace(received);
  const route = options.history?.route(received, place) ?? 'show';
  const image = { ...received, id: route === 'keep' ? received.id : receivedEntryId(panel, received) };
  panel.endTransfer(`in-${image.id}`);
  if (route === 'known' || (route === 'show' && panel.has(image.id))) return;
  let file: string;
  try {
    file = await options.images.saveReceived(image, options.maxReceivedPixels());
  } catch (error) {
    // Not a valid image (or not writable): show nothing of it, say why.
    panel.addSystem((error as Error).message, 'error', Date.now());
    return;
  }
  const entry: StoredEntry = {
    kind: 'image',
    id: image.id,
    from: image.from,
    own: false,
    image: { file, width: image.width, height: image.height, bytes: image.data.length },
    sentAt: image.sentAt,
    legacy: image.legacy,
    encrypted: image.encrypted,
  };
  if (route === 'keep') return options.history?.keep(entry);
  panel.add(entry);
  if (!place.backlog) options.notify({ id: entry.id, from: image.from, text: undefined, mentionsMe: false });
}

/**
 * The panel's id of a received message: its message id, unless another sender's message already holds that id.
 * Message ids are chosen by their senders, so a member may reuse another's; keyed by id alone, the first to
 * arrive would hide the other. A repeat from the same sender keeps the id, and is then recognised as shown.
 */
export function receivedEntryId(panel: PanelState, message: { id: string; from: string; fromId: number }): string {
  const holder = panel.senderOf(message.id);
  return holder === undefined || holder === message.from ? message.id : `${message.fromId.toString(16)}-${message.id}`;
}

/** The line the panel shows when you joined: the room, your name, who is here. */
export function joinedLine(info: ReadyInfo): string {
  const others = info.members.filter((member) => member.id !== info.memberId).map((member) => member.name);
  return `You joined ${info.room} as ${info.name}. ${others.length === 0 ? 'Nobody else is here yet.' : `Here: ${others.join(', ')}.`}`;
}
