/**
 * Where the chat is shown: the chat view (its own view container) and the editor panel, both over the one
 * session; the unread watch that reads what they show; the container's badge; your presence from the window's
 * focus and activity. Reply (from a notification) opens the view and starts a reply once its page is ready.
 */
import * as vscode from 'vscode';
import type { HostMessage, UnreadView } from '../shared/panel-messages';
import { ChatPanel } from './chat-panel';
import type { ChatSession } from './chat-session';
import { ChatView } from './chat-view';
import type { Attachments } from './attachments';
import type { PanelActions, PanelContext } from './chat-webview';
import { Disposable } from './dispose';
import { ReadMarks } from './read-marks';
import { unreadSummary } from './unread';
import { UnreadWatch } from './unread-watch';

export interface ChatSurfacesOptions {
  extensionUri: vscode.Uri;
  globalState: vscode.Memento;
  session: ChatSession;
  log: vscode.LogOutputChannel;
  actions: PanelActions;
  /** Pasted and dropped images waiting for Send. */
  attachments: Attachments;
  /** The counts changed (the status bar shows them). */
  unreadChanged: (unread: UnreadView) => void;
}

export class ChatSurfaces extends Disposable {
  readonly view: ChatView;
  readonly watch: UnreadWatch;
  readonly #context: PanelContext;
  readonly #session: ChatSession;
  /** A Reply chosen in a notification, for the page that says it is ready next. */
  #pendingReply: string | undefined;

  constructor(options: ChatSurfacesOptions) {
    super();
    this.#session = options.session;
    this.#context = {
      extensionUri: options.extensionUri,
      session: options.session,
      log: options.log,
      actions: options.actions,
      attachments: options.attachments,
      viewed: () => this.#viewed(),
    };
    this.view = this.register(new ChatView(this.#context));
    this.watch = this.register(
      new UnreadWatch({
        session: options.session,
        marks: new ReadMarks(options.globalState),
        chatVisible: () => this.visible,
        chatFollowing: () => this.view.following || (ChatPanel.current?.following ?? false),
        changed: (unread) => {
          // Our own words only: no name or text from the network reaches the badge's tooltip.
          this.view.setBadge(unread.count > 0 ? { value: unread.count, tooltip: unreadSummary(unread) } : undefined);
          options.unreadChanged(unread);
        },
      }),
    );
    this.register(vscode.window.onDidChangeWindowState(this.#windowOnDidChangeState));
    this.#windowOnDidChangeState(vscode.window.state);
  }

  get context(): PanelContext {
    return this.#context;
  }

  /** A chat view or the chat panel is visible. */
  get visible(): boolean {
    return this.view.visible || (ChatPanel.current?.visible ?? false);
  }

  get windowFocused(): boolean {
    return this.watch.windowFocused;
  }

  /** The URL a visible surface loads a saved image from (the view's, else the panel's). */
  imageSrc(file: string): string | undefined {
    return this.view.imageSrc(file) ?? ChatPanel.current?.imageSrc(file);
  }

  /** Shows the chat view (opening its container wherever the user put it) and focuses it. */
  async openView(): Promise<void> {
    await vscode.commands.executeCommand(ChatView.focusCommand);
  }

  openInEditor(): ChatPanel {
    return ChatPanel.createOrShow(this.#context);
  }

  /** Opens the chat and starts a reply to message `id` there. */
  async reply(id: string): Promise<void> {
    this.#pendingReply = id;
    const panel = ChatPanel.current;
    if (panel?.visible) panel.reveal();
    else await this.openView();
    // A page already ready takes it now; one still loading, when it says what it shows.
    this.#flushReply();
  }

  #viewed(): void {
    this.watch.judge();
    this.#flushReply();
  }

  #flushReply(): void {
    const id = this.#pendingReply;
    if (id === undefined) return;
    const message: HostMessage = { type: 'startReply', id };
    const target = [this.view, ChatPanel.current].find((surface) => surface !== undefined && surface.visible && surface.ready);
    if (target === undefined) return;
    target.post(message);
    this.#pendingReply = undefined;
  }

  #windowOnDidChangeState = (state: vscode.WindowState): void => {
    this.#session.setPresence(state.focused && state.active ? 'active' : 'away');
  };
}
