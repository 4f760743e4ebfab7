/**
 * The chat panel: owns the view model, applies host messages to it (a full snapshot on `state`, incremental
 * updates after that) and turns user actions into `WebviewMessage`s.
 */
import type { ChatStateView, ConnectionState, EntryView, HostMessage, MemberView } from '../src/shared/panel-messages';
import { acceptDrops, AttachmentTray } from './attachments';
import { Composer, type ComposerMode, type ComposerTarget } from './composer';
import { Conversation } from './conversation';
import { h } from './dom';
import { Header, JoinPrompt, MemberList, Transfers } from './panels';
import { SearchBox } from './search';
import type { Host } from './vscode-api';

/** Panels narrower than this (CSS px) start with the member list closed; it then overlays the conversation. */
const MEMBERS_OPEN_MIN_WIDTH = 640;

function emptyState(): ChatStateView {
  return {
    connection: 'disconnected',
    connectionDetail: '',
    self: undefined,
    room: undefined,
    relay: undefined,
    encrypted: false,
    members: [],
    entries: [],
    transfers: [],
    stats: undefined,
    maxTextBytes: 0,
    hasOlder: false,
    unread: { since: undefined, count: 0, mentions: 0 },
    typing: [],
  };
}

/** How the reply and edit bars name a message. */
function targetOf(id: string, entry: EntryView | undefined): ComposerTarget {
  if (entry === undefined || entry.kind === 'system') return { id, from: 'a message', excerpt: '' };
  const excerpt = entry.deleted === true ? 'deleted message' : entry.kind === 'image' ? 'an image' : entry.text.replace(/\s+/g, ' ').slice(0, 200);
  return { id, from: entry.own ? 'yourself' : entry.from, excerpt };
}

/** Whom `@` offers: everyone in the room but you. */
function mentionable(members: readonly MemberView[]): string[] {
  return members.filter((member) => !member.self).map((member) => member.name);
}

export class App {
  readonly #host: Host;
  readonly #root: HTMLElement;
  readonly #header: Header;
  readonly #members: MemberList;
  readonly #conversation: Conversation;
  readonly #transfers = new Transfers();
  readonly #joinPrompt: JoinPrompt;
  readonly #composer: Composer;
  readonly #attachments: AttachmentTray;
  readonly #search: SearchBox;
  /** Everything but the entries, which live in the conversation. */
  #state: Omit<ChatStateView, 'entries' | 'hasOlder'> = emptyState();
  /** A Delete pressed once: the second press on the same message deletes it. */
  #deleteArmed: string | undefined;
  /** The latest `jump`: only its answer is shown. */
  #jumpRequest = 0;
  #snapshots = 0;
  #membersOpen: boolean;

  constructor(root: HTMLElement, host: Host) {
    this.#root = root;
    this.#host = host;
    const persisted = host.persisted;
    this.#header = new Header({
      leave: () => host.post({ type: 'leave' }),
      toggleMembers: () => this.#setMembersOpen(!this.#membersOpen, true),
      toggleSearch: () => this.#search.toggle(),
    });
    this.#search = new SearchBox({
      search: (requestId, query) => host.post({ type: 'search', requestId, query }),
      jump: (id, query) => host.post({ type: 'jump', requestId: ++this.#jumpRequest, id, query }),
      toggled: (open) => this.#header.setSearchOpen(open),
    });
    this.#members = new MemberList(() => {
      this.#setMembersOpen(false, true);
      this.#header.focusMembersToggle();
    });
    this.#conversation = new Conversation({
      retry: (id) => host.post({ type: 'retry', id }),
      discard: (id) => host.post({ type: 'discard', id }),
      openImage: (id) => host.post({ type: 'openImage', id }),
      openLink: (url) => host.post({ type: 'openLink', url }),
      scrolled: (fromBottom) => host.persist({ scrollFromBottom: fromBottom }),
      loadOlder: (requestId, beforeId, limit) => host.post({ type: 'loadOlder', requestId, beforeId, limit }),
      latest: () => host.post({ type: 'latest' }),
      viewed: (atBottom) => host.post({ type: 'viewed', atBottom }),
      jump: (id) => host.post({ type: 'jump', requestId: ++this.#jumpRequest, id, query: '' }),
      entryAction: (id, action, anchor) => this.#entryAction(id, action, anchor),
      toggleReaction: (id, emoji, on) => host.post({ type: 'react', id, emoji, on }),
      goToReply: (id) => this.#conversation.reveal(id),
      copySnippet: (id) => host.post({ type: 'copySnippet', id }),
      openSnippet: (id) => host.post({ type: 'openSnippet', id }),
    });
    this.#joinPrompt = new JoinPrompt(() => host.post({ type: 'join' }));
    this.#composer = new Composer(
      {
        send: (text, replyTo) => host.post(replyTo === undefined ? { type: 'send', text } : { type: 'send', text, replyTo }),
        edit: (id, text) => host.post({ type: 'edit', id, text }),
        typing: () => host.post({ type: 'typing' }),
        pickImage: () => host.post({ type: 'pickImage' }),
        attachFiles: (files) => this.#attachments.attachFiles(files, 'paste'),
        draftChanged: (draft) => host.persist({ draft }),
      },
      persisted.draft,
    );
    this.#attachments = new AttachmentTray(
      (message) => host.post(message),
      () => this.#composer.focus(),
    );
    this.#membersOpen = persisted.membersOpen ?? window.innerWidth >= MEMBERS_OPEN_MIN_WIDTH;

    root.classList.add('app', 'app--loading');
    root.replaceChildren(
      this.#header.element,
      h('div', { class: 'app__body' }, [
        h('div', { class: 'conversation' }, [this.#search.element, this.#conversation.element, this.#joinPrompt.element]),
        this.#members.element,
      ]),
      this.#transfers.element,
      this.#attachments.element,
      this.#composer.element,
    );
    acceptDrops(root, this.#attachments);
    this.#composer.mounted();
    this.#setMembersOpen(this.#membersOpen, false);
    this.#renderChrome();
    document.addEventListener('keydown', (event) => this.#documentOnKeydown(event));
  }

  handle(message: HostMessage): void {
    switch (message.type) {
      case 'state': {
        const { entries, hasOlder, ...rest } = message.state;
        const first = this.#snapshots++ === 0;
        const otherRoom = !first && (rest.room !== this.#state.room || rest.relay !== this.#state.relay);
        this.#state = rest;
        this.#root.classList.remove('app--loading');
        this.#members.set(rest.members);
        this.#composer.setMembers(mentionable(rest.members));
        this.#composer.setTyping(rest.typing);
        this.#conversation.setSelf(rest.self);
        this.#transfers.reset(rest.transfers);
        this.#composer.setMaxBytes(rest.maxTextBytes);
        // The conversation last, so its scroll position is set against the final layout.
        this.#conversation.setRoomEncrypted(rest.encrypted);
        if (first || otherRoom) this.#conversation.reset(entries, hasOlder, first ? this.#host.persisted.scrollFromBottom : 0);
        else this.#conversation.snapshot(entries, hasOlder);
        if (otherRoom) this.#search.clear();
        this.#conversation.setNewMark(rest.unread.since);
        this.#renderChrome();
        break;
      }
      case 'unread':
        this.#state = { ...this.#state, unread: message.unread };
        this.#conversation.setNewMark(message.unread.since);
        break;
      case 'typing':
        this.#state = { ...this.#state, typing: message.names };
        this.#composer.setTyping(message.names);
        break;
      case 'startReply':
        this.#composer.startReply(targetOf(message.id, this.#conversation.entry(message.id)));
        break;
      case 'older':
        this.#conversation.older(message.requestId, message.entries, message.hasOlder);
        this.#renderJoinPrompt();
        break;
      case 'searchResults':
        this.#search.results(message.requestId, message.query, message.hits);
        break;
      case 'jumpTo':
        if (message.requestId !== this.#jumpRequest) break;
        this.#conversation.jumpTo(message.entries, message.targetId, message.highlight, message.hasOlder, message.hasNewer);
        this.#renderJoinPrompt();
        break;
      case 'historyCleared':
        this.#conversation.clear();
        this.#search.clear();
        this.#renderJoinPrompt();
        break;
      case 'entry':
        this.#conversation.add(message.entry);
        this.#renderJoinPrompt();
        break;
      case 'delivery':
        this.#conversation.setDelivery(message.id, message.delivery);
        break;
      case 'members':
        this.#state = { ...this.#state, members: message.members };
        this.#members.set(message.members);
        this.#composer.setMembers(mentionable(message.members));
        this.#header.setMemberCount(message.members.length);
        break;
      case 'connection':
        this.#state = { ...this.#state, connection: message.state, connectionDetail: message.detail };
        this.#renderChrome();
        break;
      case 'transfer':
        this.#transfers.upsert(message.transfer);
        break;
      case 'transferDone':
        this.#transfers.remove(message.id);
        break;
      case 'stats':
        this.#state = { ...this.#state, stats: message.stats };
        this.#header.setStats(message.stats);
        break;
      case 'focusComposer':
        this.#composer.focus();
        break;
      case 'attachment':
        this.#attachments.show(message.attachment);
        break;
      case 'attachmentGone':
        this.#attachments.gone(message.id);
        break;
      default:
        assertNever(message);
    }
  }

  /** Reply, React, Edit or Delete pressed on a message. */
  #entryAction(id: string, action: 'reply' | 'react' | 'edit' | 'delete', anchor: HTMLElement): void {
    const entry = this.#conversation.entry(id);
    if (action !== 'delete') this.#deleteArmed = undefined;
    switch (action) {
      case 'reply':
        this.#composer.startReply(targetOf(id, entry));
        return;
      case 'react':
        this.#conversation.keys.openPicker(anchor, (emoji) => {
          const mine = entry !== undefined && entry.kind !== 'system' && (entry.reactions ?? []).some((r) => r.emoji === emoji && r.from.includes(this.#state.self ?? ''));
          this.#host.post({ type: 'react', id, emoji, on: !mine });
        });
        return;
      case 'edit':
        if (entry?.kind === 'text') this.#composer.startEdit(targetOf(id, entry), entry.text);
        return;
      case 'delete':
        // Two presses: the first asks (the button says so), the second deletes.
        if (this.#deleteArmed !== id) {
          this.#deleteArmed = id;
          anchor.textContent = 'Delete for everyone?';
          anchor.setAttribute('aria-label', 'Press again to delete this message for everyone');
          anchor.classList.add('entry__action--armed');
          return;
        }
        this.#deleteArmed = undefined;
        this.#host.post({ type: 'delete', id });
        return;
      default:
        assertNever(action);
    }
  }

  #joined(): boolean {
    return this.#state.self !== undefined && isLive(this.#state.connection);
  }

  /** Header, composer mode and join prompt: everything that follows the connection and the room. */
  #renderChrome(): void {
    const s = this.#state;
    const joined = this.#joined();
    this.#header.setRoom(s.room, s.relay);
    this.#header.setConnection(s.connection, s.connectionDetail);
    this.#header.setSecurity(s.encrypted, joined);
    this.#header.setJoined(joined);
    this.#members.setOpen(this.#membersOpen && joined);
    this.#header.setMemberCount(s.members.length);
    this.#header.setStats(s.stats);
    this.#header.setSearchAvailable(s.room !== undefined);
    this.#conversation.setRoomEncrypted(s.encrypted);
    const mode: ComposerMode = !joined ? 'not-joined' : s.connection === 'connected' ? 'online' : 'offline';
    this.#composer.setMode(mode);
    this.#root.dataset.connection = s.connection;
    this.#renderJoinPrompt();
  }

  #renderJoinPrompt(): void {
    const loading = this.#snapshots === 0;
    const empty = this.#conversation.isEmpty;
    this.#joinPrompt.show(!loading && !this.#joined(), empty);
    this.#root.classList.toggle('app--empty', !loading && empty);
  }

  /** Ctrl+F (Cmd+F on macOS) anywhere in the panel opens the search box; the editor's own find is not there. */
  #documentOnKeydown(event: KeyboardEvent): void {
    const modifier = IS_MAC ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
    if (!modifier || event.altKey || event.shiftKey || event.key.toLowerCase() !== 'f') return;
    if (this.#state.room === undefined) return;
    event.preventDefault();
    this.#search.open();
  }

  #setMembersOpen(open: boolean, remember: boolean): void {
    this.#membersOpen = open;
    this.#members.setOpen(open && this.#joined());
    this.#header.setMembersOpen(open);
    if (remember) this.#host.persist({ membersOpen: open });
  }
}

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform);

function isLive(state: ConnectionState): boolean {
  return state === 'connected' || state === 'connecting' || state === 'reconnecting';
}

function assertNever(message: never): void {
  console.warn('UDP Chat: unhandled host message', message);
}
