/**
 * The chat as a view (`udpChat.chatView`) in its own view container (the activity bar's UDP Chat icon; users
 * may move it to the secondary side bar or the panel). VS Code creates its webview when the view is first shown
 * and keeps the view while it is hidden, so the container's badge (unread messages) stays set meanwhile.
 */
import * as vscode from 'vscode';
import { ChatWebview, type PanelContext } from './chat-webview';
import { Disposable } from './dispose';

export class ChatView extends Disposable implements vscode.WebviewViewProvider {
  static readonly viewType = 'udpChat.chatView';
  /** The command VS Code adds for every view: shows it (its container opened) and focuses it. */
  static readonly focusCommand = `${ChatView.viewType}.focus`;

  readonly #context: PanelContext;
  #view: vscode.WebviewView | undefined;
  #webview: ChatWebview | undefined;
  #badge: vscode.ViewBadge | undefined;
  /** The subscriptions of the view shown now; they go with it. */
  #viewDisposables: vscode.Disposable[] = [];

  constructor(context: PanelContext) {
    super();
    this.#context = context;
    this.register(vscode.window.registerWebviewViewProvider(ChatView.viewType, this));
    this.register({ dispose: () => this.#let() });
  }

  get visible(): boolean {
    return this.#view?.visible ?? false;
  }

  /** Visible with the newest message in view. */
  get following(): boolean {
    return this.visible && (this.#webview?.atBottom ?? false);
  }

  get ready(): boolean {
    return this.#webview?.ready ?? false;
  }

  /** Whether VS Code has created the view's webview (the view was shown at least once in this window). */
  get resolved(): boolean {
    return this.#view !== undefined;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.#let();
    this.#view = view;
    this.#webview = new ChatWebview(view.webview, this.#context);
    view.badge = this.#badge;
    this.#viewDisposables = [
      this.#webview,
      view.onDidChangeVisibility(this.#viewOnDidChangeVisibility),
      view.onDidDispose(this.#viewOnDidDispose),
    ];
    this.#context.viewed();
  }

  /** The unread badge on the view container (undefined: none); kept for a view created later. */
  setBadge(badge: vscode.ViewBadge | undefined): void {
    this.#badge = badge;
    if (this.#view) this.#view.badge = badge;
  }

  imageSrc(file: string): string | undefined {
    return this.#webview?.imageSrc(file);
  }

  post(message: Parameters<ChatWebview['post']>[0]): void {
    this.#webview?.post(message);
  }

  #viewOnDidChangeVisibility = (): void => {
    if (this.#view && !this.#view.visible) this.#webview?.hidden();
    this.#context.viewed();
  };

  #viewOnDidDispose = (): void => {
    this.#let();
    this.#context.viewed();
  };

  #let(): void {
    for (const disposable of this.#viewDisposables.splice(0)) disposable.dispose();
    this.#view = undefined;
    this.#webview = undefined;
  }
}
