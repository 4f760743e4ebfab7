/**
 * The chat in an editor tab (UDP Chat: Open Chat in Editor): a singleton webview panel (createOrShow / revive),
 * beside the chat view if both are open. What it shows and does is chat-webview.ts's, from the one session.
 */
import * as vscode from 'vscode';
import { ChatWebview, webviewOptions, type PanelContext } from './chat-webview';
import { Disposable } from './dispose';

export type { PanelActions, PanelContext } from './chat-webview';

export class ChatPanel extends Disposable {
  static readonly viewType = 'udpChat.chat';
  static #current: ChatPanel | undefined;

  readonly #panel: vscode.WebviewPanel;
  readonly #webview: ChatWebview;
  readonly #context: PanelContext;

  static get current(): ChatPanel | undefined {
    return ChatPanel.#current;
  }

  /** Shows the panel, creating it if needed. */
  static createOrShow(context: PanelContext): ChatPanel {
    if (ChatPanel.#current) {
      ChatPanel.#current.#panel.reveal(undefined, false);
      return ChatPanel.#current;
    }
    const panel = vscode.window.createWebviewPanel(ChatPanel.viewType, 'UDP Chat', vscode.ViewColumn.Active, {
      ...webviewOptions(context.extensionUri, context.session.imageFolders()),
      enableFindWidget: true,
      retainContextWhenHidden: false,
    });
    ChatPanel.#current = new ChatPanel(panel, context);
    return ChatPanel.#current;
  }

  /** Adopts a panel VS Code restored after a reload of the window. */
  static revive(panel: vscode.WebviewPanel, context: PanelContext): ChatPanel {
    ChatPanel.#current?.dispose();
    ChatPanel.#current = new ChatPanel(panel, context);
    return ChatPanel.#current;
  }

  private constructor(panel: vscode.WebviewPanel, context: PanelContext) {
    super();
    this.#panel = panel;
    this.#context = context;
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    this.#webview = this.register(new ChatWebview(panel.webview, context));
    this.register(panel.onDidChangeViewState(this.#panelOnDidChangeViewState));
    this.register(panel.onDidDispose(this.#panelOnDidDispose));
  }

  get visible(): boolean {
    return this.#panel.visible;
  }

  get active(): boolean {
    return this.#panel.active;
  }

  get ready(): boolean {
    return this.#webview.ready;
  }

  /** Visible with the newest message in view. */
  get following(): boolean {
    return this.#panel.visible && this.#webview.atBottom;
  }

  reveal(): void {
    this.#panel.reveal(undefined, false);
  }

  imageSrc(file: string): string {
    return this.#webview.imageSrc(file);
  }

  post(message: Parameters<ChatWebview['post']>[0]): void {
    this.#webview.post(message);
  }

  override dispose(): void {
    if (ChatPanel.#current === this) ChatPanel.#current = undefined;
    super.dispose();
    this.#panel.dispose();
  }

  #panelOnDidChangeViewState = (): void => {
    if (!this.#panel.visible) this.#webview.hidden();
    this.#context.viewed();
  };

  #panelOnDidDispose = (): void => {
    if (ChatPanel.#current === this) ChatPanel.#current = undefined;
    super.dispose();
    this.#context.viewed();
  };
}
