/** Two status bar items: the relay hosted here (host / port and members), and the chat connection. */
import * as vscode from 'vscode';
import type { ConnectionState, UnreadView } from '../shared/panel-messages';
import { unreadBadge, unreadSummary } from './unread';
import type { ChatSession } from './chat-session';
import { Disposable } from './dispose';
import type { HostedRelay, RelayHost } from './relay-host';
import { formatHostPort } from '../protocol/address';
import { COMMANDS } from './commands';
import { NAME_MAX_CHARS, plainText, REASON_MAX_CHARS } from './plain-text';

export class StatusBar extends Disposable {
  readonly #relayItem: vscode.StatusBarItem;
  readonly #chatItem: vscode.StatusBarItem;
  readonly #relayHost: RelayHost;
  readonly #session: ChatSession;
  readonly #hostPort: () => number;
  #unread: UnreadView = { since: undefined, count: 0, mentions: 0 };
  #state: ConnectionState;
  #detail = '';

  constructor(relayHost: RelayHost, session: ChatSession, hostPort: () => number) {
    super();
    this.#relayHost = relayHost;
    this.#session = session;
    this.#hostPort = hostPort;
    this.#state = session.connection;
    this.#relayItem = this.register(vscode.window.createStatusBarItem('udpChat.relay', vscode.StatusBarAlignment.Right, 100));
    this.#relayItem.name = 'UDP Chat Relay';
    this.#chatItem = this.register(vscode.window.createStatusBarItem('udpChat.connection', vscode.StatusBarAlignment.Right, 101));
    this.#chatItem.name = 'UDP Chat Connection';
    this.#chatItem.command = COMMANDS.openChat;
    relayHost.on('changed', this.#relayHostOnChanged);
    this.register({ dispose: () => relayHost.off('changed', this.#relayHostOnChanged) });
    session.on('connection', this.#sessionOnConnection);
    this.register({ dispose: () => session.off('connection', this.#sessionOnConnection) });
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('udpChat.hostPort')) this.#renderRelay(this.#relayHost.current);
      }),
    );
    this.#renderRelay(relayHost.current);
    this.#renderChat(session.connection, '');
    this.#relayItem.show();
  }

  #relayHostOnChanged = (relay: HostedRelay | undefined): void => this.#renderRelay(relay);

  #sessionOnConnection = (state: ConnectionState, detail: string): void => {
    this.#state = state;
    this.#detail = detail;
    this.#renderChat(state, detail);
  };

  /** The room's unread messages and mentions of you, shown after its name. */
  setUnread(unread: UnreadView): void {
    this.#unread = unread;
    this.#renderChat(this.#state, this.#detail);
  }

  #renderRelay(relay: HostedRelay | undefined): void {
    const item = this.#relayItem;
    const failure = this.#relayHost.failure;
    if (!relay && failure !== undefined) {
      // The worker it ran in died: say so until the user starts it again (a click does).
      const reason = plainText(failure, REASON_MAX_CHARS);
      item.text = '$(error) UDP Chat relay stopped';
      item.tooltip = `The UDP Chat relay hosted here stopped: ${reason}. Click to host it again (port ${this.#hostPort()}).`;
      item.command = COMMANDS.hostRelay;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      item.accessibilityInformation = { label: `UDP Chat relay stopped: ${reason}. Host it again`, role: 'button' };
      return;
    }
    if (!relay) {
      item.text = '$(radio-tower) Host UDP Chat relay';
      item.tooltip = `Host a UDP Chat relay on this machine (port ${this.#hostPort()})`;
      item.command = COMMANDS.hostRelay;
      item.backgroundColor = undefined;
      item.accessibilityInformation = { label: 'Host a UDP Chat relay', role: 'button' };
      return;
    }
    item.backgroundColor = undefined;
    const members = `${relay.members} member${relay.members === 1 ? '' : 's'}`;
    item.text = `$(radio-tower) Relay :${relay.port} · ${members}`;
    item.tooltip = `UDP Chat relay on ${this.#relayHost.shareableAddress() ?? `port ${relay.port}`} with ${members}. Click to copy its address or stop it.`;
    item.command = COMMANDS.relayActions;
    item.accessibilityInformation = { label: `UDP Chat relay hosted on port ${relay.port}, ${members}`, role: 'button' };
  }

  #renderChat(state: ConnectionState, rawDetail: string): void {
    const item = this.#chatItem;
    // The detail may be a relay's words: no `$(icon)` or link syntax of theirs reaches the item.
    const detail = plainText(rawDetail, REASON_MAX_CHARS);
    const room = plainText(this.#session.parameters?.room ?? 'UDP Chat', NAME_MAX_CHARS);
    item.command = COMMANDS.openChat;
    switch (state) {
      case 'disconnected':
        item.hide();
        return;
      case 'closed': {
        // The client stopped by itself (a rejoin the relay refused): say so until the user joins again or leaves.
        const params = this.#session.parameters;
        item.text = `$(error) ${room}: disconnected`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        item.tooltip = `UDP Chat: disconnected${detail ? ` (${detail})` : ''}. Click to join again.`;
        item.accessibilityInformation = { label: `UDP Chat disconnected ${detail}. Join again`, role: 'button' };
        item.command = {
          title: 'Join Again',
          command: COMMANDS.join,
          arguments: params ? [{ name: params.name, relay: formatHostPort(params.relayHost, params.relayPort), room: params.room }] : [],
        };
        item.show();
        return;
      }
      case 'connecting':
        item.text = `$(sync~spin) ${room}: joining…`;
        item.backgroundColor = undefined;
        break;
      case 'connected':
        item.text = `$(comment-discussion) ${room}${unreadBadge(this.#unread)}`;
        item.backgroundColor = undefined;
        break;
      case 'reconnecting':
        item.text = `$(sync~spin) ${room}: reconnecting…`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
    }
    const unread = this.#unread.count > 0 ? ` ${unreadSummary(this.#unread)}.` : '';
    item.tooltip = `UDP Chat: ${state}${detail ? ` (${detail})` : ''}.${unread} Click to open the chat.`;
    item.accessibilityInformation = { label: `UDP Chat ${state} ${detail}.${unread}`, role: 'button' };
    item.show();
  }
}
