/**
 * The parts around the conversation: the header (room, connection, security, stats, actions), the member list,
 * the transfers in progress and the "join a room" prompt. Each owns its elements and updates them in place.
 */
import type { ConnectionState, MemberView, StatsView, TransferView } from '../src/shared/panel-messages';
import { h, icon, replaceChildren, srOnly } from './dom';
import { formatCount, formatPercent, formatStats } from './format';
import { createButton, type ToolkitButton } from './toolkit';

const CONNECTION_LABELS: Record<ConnectionState, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  disconnected: 'Disconnected',
  closed: 'Closed',
};

export interface HeaderActions {
  leave(): void;
  toggleMembers(): void;
  toggleSearch(): void;
}

export class Header {
  readonly element: HTMLElement;
  readonly #room = h('h1', { class: 'header__room', attrs: { id: 'room' } });
  readonly #security = h('span', { class: 'security', attrs: { id: 'security' } });
  readonly #connection = h('span', { class: 'connection', attrs: { id: 'connection' } });
  readonly #detail = h('span', { class: 'connection__detail', attrs: { id: 'connection-detail' } });
  readonly #relay = h('span', { class: 'header__relay', attrs: { id: 'relay' } });
  readonly #stats = h('span', { class: 'header__stats', attrs: { id: 'stats' } });
  readonly #membersToggle: ToolkitButton;
  readonly #searchToggle: ToolkitButton;
  readonly #leave: ToolkitButton;

  constructor(actions: HeaderActions) {
    this.#membersToggle = createButton({
      id: 'members-toggle',
      className: 'header__button',
      appearance: 'secondary',
      label: 'Members',
      icon: icon('people'),
      title: 'Show or hide the member list',
      onClick: actions.toggleMembers,
    });
    this.#membersToggle.element.setAttribute('aria-controls', 'members-panel');
    this.#searchToggle = createButton({
      id: 'search-toggle',
      className: 'header__button',
      appearance: 'secondary',
      label: 'Search',
      icon: icon('search'),
      title: `Search the conversation (${/Mac|iPhone|iPad/.test(navigator.platform) ? '⌘F' : 'Ctrl+F'})`,
      onClick: actions.toggleSearch,
    });
    this.#searchToggle.element.setAttribute('aria-controls', 'search');
    this.#searchToggle.element.setAttribute('aria-expanded', 'false');
    this.#leave = createButton({
      id: 'leave',
      className: 'header__button',
      appearance: 'secondary',
      label: 'Leave',
      title: 'Leave the room',
      onClick: actions.leave,
    });
    this.element = h('header', { class: 'header' }, [
      h('div', { class: 'header__top' }, [
        h('div', { class: 'header__title' }, [this.#room, this.#security]),
        h('div', { class: 'header__actions' }, [this.#searchToggle.element, this.#membersToggle.element, this.#leave.element]),
      ]),
      h('div', { class: 'header__status' }, [
        h('span', { class: 'header__connection', attrs: { role: 'status', 'aria-atomic': 'true' } }, [this.#connection, this.#detail]),
        this.#relay,
        this.#stats,
      ]),
    ]);
  }

  setRoom(room: string | undefined, relay: string | undefined): void {
    this.#room.textContent = room ?? 'UDP Chat';
    this.#room.title = room === undefined ? '' : `Room ${room}`;
    this.#relay.textContent = relay === undefined ? '' : `via ${relay}`;
    this.#relay.title = relay === undefined ? '' : `Relay address ${relay}`;
    this.#relay.hidden = relay === undefined;
  }

  setSecurity(encrypted: boolean, joined: boolean): void {
    this.#security.hidden = !joined;
    this.#security.className = `security security--${encrypted ? 'encrypted' : 'plain'}`;
    this.#security.title = encrypted
      ? 'Messages are end-to-end encrypted with the room key: the relay cannot read them'
      : 'Messages travel in plain text: the relay and the network can read them';
    replaceChildren(this.#security, [icon(encrypted ? 'lock' : 'unlock'), encrypted ? 'end-to-end encrypted' : 'unencrypted']);
  }

  setConnection(state: ConnectionState, detail: string): void {
    this.#connection.dataset.state = state;
    this.#connection.className = `connection connection--${state}`;
    this.#connection.textContent = CONNECTION_LABELS[state];
    this.#detail.textContent = detail;
    this.#detail.hidden = detail === '';
  }

  setJoined(joined: boolean): void {
    this.#leave.element.hidden = !joined;
    this.#membersToggle.element.hidden = !joined;
  }

  setMemberCount(count: number): void {
    this.#membersToggle.setLabel(count === 1 ? '1 member' : `${formatCount(count)} members`);
  }

  setSearchOpen(open: boolean): void {
    this.#searchToggle.element.setAttribute('aria-expanded', String(open));
  }

  /** Search needs a room whose history it looks through. */
  setSearchAvailable(available: boolean): void {
    this.#searchToggle.element.hidden = !available;
  }

  setMembersOpen(open: boolean): void {
    this.#membersToggle.element.setAttribute('aria-expanded', String(open));
  }

  setStats(stats: StatsView | undefined): void {
    this.#stats.textContent = stats === undefined ? '' : formatStats(stats);
    this.#stats.title = stats === undefined ? '' : `${formatCount(stats.sent)} datagrams sent`;
    this.#stats.hidden = stats === undefined;
  }

  focusMembersToggle(): void {
    this.#membersToggle.element.focus();
  }
}

export class MemberList {
  readonly element: HTMLElement;
  readonly #list = h('ul', { class: 'members__list', attrs: { id: 'members' } });
  readonly #count = h('span', { class: 'members__count' });
  readonly #empty = h('p', { class: 'members__empty' }, ['Nobody is here yet.']);

  constructor(close: () => void) {
    this.element = h('aside', { class: 'members', attrs: { id: 'members-panel', 'aria-labelledby': 'members-title' } }, [
      h('h2', { class: 'members__title', attrs: { id: 'members-title' } }, ['Members ', this.#count]),
      this.#list,
      this.#empty,
    ]);
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        close();
      }
    });
  }

  set(members: readonly MemberView[]): void {
    const sorted = [...members].sort(
      (a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }),
    );
    replaceChildren(this.#list, sorted.map(renderMember));
    this.#count.textContent = `(${formatCount(members.length)})`;
    this.#empty.hidden = members.length > 0;
  }

  setOpen(open: boolean): void {
    this.element.hidden = !open;
  }
}

function renderMember(member: MemberView): HTMLLIElement {
  const initial = Array.from(member.name.trim())[0]?.toLocaleUpperCase() ?? '?';
  const presence = member.presence;
  return h('li', { class: member.self ? 'member member--self' : 'member', attrs: { 'data-member-name': member.name, 'data-presence': presence } }, [
    h('span', { class: 'member__avatar', attrs: { 'aria-hidden': 'true' } }, [
      initial,
      presence === undefined ? null : h('span', { class: `member__presence member__presence--${presence}`, attrs: { title: presence } }),
    ]),
    presence === undefined ? null : srOnly(presence === 'active' ? 'active' : 'away'),
    h('span', { class: 'member__name', attrs: { title: member.name } }, [member.name]),
    member.self ? h('span', { class: 'member__you' }, ['(you)']) : null,
    member.legacy
      ? h('span', { class: 'tag', attrs: { title: 'Classic client: plain text, no delivery acknowledgements' } }, ['legacy'])
      : null,
  ]);
}

export class Transfers {
  readonly element = h('ul', { class: 'transfers', attrs: { id: 'transfers', 'aria-label': 'Transfers in progress', hidden: true } });
  readonly #items = new Map<string, { element: HTMLLIElement; progress: HTMLProgressElement; percent: HTMLElement; label: HTMLElement }>();

  reset(transfers: readonly TransferView[]): void {
    this.#items.clear();
    this.element.replaceChildren();
    for (const transfer of transfers) this.upsert(transfer);
    this.#updateHidden();
  }

  upsert(transfer: TransferView): void {
    let item = this.#items.get(transfer.id);
    if (item === undefined) {
      const progress = h('progress', { class: 'transfer__progress', attrs: { max: 1 } });
      const percent = h('span', { class: 'transfer__percent' });
      const label = h('span', { class: 'transfer__label' });
      const element = h('li', { class: 'transfer', attrs: { 'data-transfer-id': transfer.id } }, [
        h('span', { class: 'transfer__direction', attrs: { 'aria-hidden': 'true' } }, [transfer.direction === 'outgoing' ? '↑' : '↓']),
        label,
        progress,
        percent,
      ]);
      item = { element, progress, percent, label };
      this.#items.set(transfer.id, item);
      this.element.append(element);
    }
    item.element.className = `transfer transfer--${transfer.direction}`;
    item.label.textContent = transfer.label;
    item.label.title = transfer.label;
    item.progress.setAttribute('aria-label', transfer.label);
    if (transfer.progress === undefined) {
      item.progress.removeAttribute('value'); // indeterminate
      item.percent.textContent = '';
    } else {
      item.progress.value = Math.min(1, Math.max(0, transfer.progress));
      item.percent.textContent = formatPercent(transfer.progress);
    }
    this.#updateHidden();
  }

  remove(id: string): void {
    this.#items.get(id)?.element.remove();
    this.#items.delete(id);
    this.#updateHidden();
  }

  #updateHidden(): void {
    this.element.hidden = this.#items.size === 0;
  }
}

export class JoinPrompt {
  readonly element: HTMLElement;
  readonly #join: ToolkitButton;

  constructor(join: () => void) {
    this.#join = createButton({ id: 'join', label: 'Join a room', appearance: 'primary', onClick: join });
    this.element = h('section', { class: 'join-prompt', attrs: { id: 'join-prompt', 'aria-labelledby': 'join-title', hidden: true } }, [
      h('h2', { class: 'join-prompt__title', attrs: { id: 'join-title' } }, ['You are not in a room']),
      h('p', { class: 'join-prompt__text' }, ['Join a room to chat with your team and share images.']),
      this.#join.element,
    ]);
  }

  /** `empty`: nothing in the conversation, so the prompt takes its place; otherwise a bar under it. */
  show(visible: boolean, empty: boolean): void {
    this.element.hidden = !visible;
    this.element.classList.toggle('join-prompt--empty', empty);
  }
}
