/**
 * The chat panel: owns the view model, applies host messages to it (a full snapshot on `state`, incremental
 * updates after that) and turns user actions into `WebviewMessage`s.
 */
import type { ChatStateView, ConnectionState, HostMessage } from '../src/shared/panel-messages';
import { Composer, type ComposerMode } from './composer';
import { Conversation } from './conversation';
import { h } from './dom';
import { Header, JoinPrompt, MemberList, Transfers } from './panels';
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
  };
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
  /** Everything but the entries, which live in the conversation. */
  #state: Omit<ChatStateView, 'entries'> = emptyState();
  #snapshots = 0;
  #membersOpen: boolean;

  constructor(root: HTMLElement, host: Host) {
    this.#root = root;
    this.#host = host;
    const persisted = host.persisted;
    this.#header = new Header({
      leave: () => host.post({ type: 'leave' }),
      toggleMembers: () => this.#setMembersOpen(!this.#membersOpen, true),
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
    });
    this.#joinPrompt = new JoinPrompt(() => host.post({ type: 'join' }));
    this.#composer = new Composer(
      {
        send: (text) => host.post({ type: 'send', text }),
        pickImage: () => host.post({ type: 'pickImage' }),
        draftChanged: (draft) => host.persist({ draft }),
      },
      persisted.draft,
    );
    this.#membersOpen = persisted.membersOpen ?? window.innerWidth >= MEMBERS_OPEN_MIN_WIDTH;

    root.classList.add('app', 'app--loading');
    root.replaceChildren(
      this.#header.element,
      h('div', { class: 'app__body' }, [
        h('div', { class: 'conversation' }, [this.#conversation.element, this.#joinPrompt.element]),
        this.#members.element,
      ]),
      this.#transfers.element,
      this.#composer.element,
    );
    this.#composer.mounted();
    this.#setMembersOpen(this.#membersOpen, false);
    this.#renderChrome();
  }

  handle(message: HostMessage): void {
    switch (message.type) {
      case 'state': {
        const { entries, ...rest } = message.state;
        this.#state = rest;
        const first = this.#snapshots++ === 0;
        this.#root.classList.remove('app--loading');
        this.#members.set(rest.members);
        this.#transfers.reset(rest.transfers);
        this.#composer.setMaxBytes(rest.maxTextBytes);
        // The conversation last, so its scroll position is set against the final layout.
        this.#conversation.reset(entries, rest.encrypted, first ? this.#host.persisted.scrollFromBottom : undefined);
        this.#renderChrome();
        break;
      }
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
      default:
        assertNever(message);
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

  #setMembersOpen(open: boolean, remember: boolean): void {
    this.#membersOpen = open;
    this.#members.setOpen(open && this.#joined());
    this.#header.setMembersOpen(open);
    if (remember) this.#host.persist({ membersOpen: open });
  }
}

function isLive(state: ConnectionState): boolean {
  return state === 'connected' || state === 'connecting' || state === 'reconnecting';
}

function assertNever(message: never): void {
  console.warn('UDP Chat: unhandled host message', message);
}
