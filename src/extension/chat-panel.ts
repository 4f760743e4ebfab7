/**
 * The chat panel: a singleton webview panel (createOrShow / revive), its HTML with a nonce-locked CSP, and the
 * ready handshake: nothing is posted before the webview says it is ready, and each `ready` (first load, reload,
 * shown again after being hidden) is answered with the full state, so nothing is lost.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isWebviewMessage, type HostMessage, type WebviewMessage } from '../shared/panel-messages';
import { renderChatHtml } from './chat-html';
import type { ChatSession } from './chat-session';
import { Disposable } from './dispose';

export interface PanelActions {
  send(text: string): void;
  retry(id: string): void;
  discard(id: string): void;
  openImage(id: string): void;
  openLink(url: string): void;
  pickImage(): void;
  join(): void;
  leave(): void;
}

export interface PanelContext {
  extensionUri: vscode.Uri;
  session: ChatSession;
  log: vscode.LogOutputChannel;
  actions: PanelActions;
}

export class ChatPanel extends Disposable {
  static readonly viewType = 'udpChat.chat';
  static #current: ChatPanel | undefined;

  readonly #panel: vscode.WebviewPanel;
  readonly #context: PanelContext;
  #ready = false;
  /** The image folders localResourceRoots allows, to notice when the session saves into a new one. */
  #imageFolders: string;

  static get current(): ChatPanel | undefined {
    return ChatPanel.#current;
  }

  /** Shows the panel, creating it if needed. */
  static createOrShow(context: PanelContext): ChatPanel {
    if (ChatPanel.#current) {
      ChatPanel.#current.#panel.reveal(undefined, false);
      return ChatPanel.#current;
    }
    const panel = vscode.window.createWebviewPanel(
      ChatPanel.viewType,
      'UDP Chat',
      vscode.ViewColumn.Active,
      webviewOptions(context.extensionUri, context.session.imageFolders()),
    );
    ChatPanel.#current = new ChatPanel(panel, context);
    return ChatPanel.#current;
  }

  /** Adopts a panel VS Code restored after a reload of the window. */
  static revive(panel: vscode.WebviewPanel, context: PanelContext): ChatPanel {
    ChatPanel.#current?.dispose();
    panel.webview.options = webviewOptions(context.extensionUri, context.session.imageFolders());
    ChatPanel.#current = new ChatPanel(panel, context);
    return ChatPanel.#current;
  }

  private constructor(panel: vscode.WebviewPanel, context: PanelContext) {
    super();
    this.#panel = panel;
    this.#context = context;
    this.#imageFolders = context.session.imageFolders().join('\n');
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    // Assigned once: showing the panel again reloads the page itself, which then says `ready`.
    panel.webview.html = this.#html();
    this.register(panel.webview.onDidReceiveMessage(this.#webviewOnMessage));
    this.register(panel.onDidChangeViewState(this.#panelOnDidChangeViewState));
    this.register(panel.onDidDispose(this.#panelOnDidDispose));
    context.session.on('post', this.#sessionOnPost);
    this.register({ dispose: () => context.session.off('post', this.#sessionOnPost) });
  }

  get visible(): boolean {
    return this.#panel.visible;
  }

  get active(): boolean {
    return this.#panel.active;
  }

  reveal(): void {
    this.#panel.reveal(undefined, false);
  }

  /** The URL this webview loads a saved image file from. */
  imageSrc(file: string): string {
    return this.#panel.webview.asWebviewUri(vscode.Uri.file(file)).toString();
  }

  post(message: HostMessage): void {
    // Before `ready` there is nobody to receive it; the state sent on `ready` includes it.
    if (!this.#ready) return;
    void this.#panel.webview.postMessage(message);
  }

  override dispose(): void {
    if (ChatPanel.#current === this) ChatPanel.#current = undefined;
    super.dispose();
    this.#panel.dispose();
  }

  #sessionOnPost = (message: HostMessage): void => {
    const folders = this.#context.session.imageFolders();
    if (folders.join('\n') !== this.#imageFolders) {
      // The save folder setting changed: allow the new folder too. If VS Code reloads the page for new options,
      // it says `ready` again and gets the whole state.
      this.#imageFolders = folders.join('\n');
      this.#panel.webview.options = webviewOptions(this.#context.extensionUri, folders);
    }
    this.post(message);
  };

  #panelOnDidChangeViewState = (): void => {
    // Without retainContextWhenHidden a hidden webview is torn down; it will say `ready` when shown again.
    if (!this.#panel.visible) this.#ready = false;
  };

  #panelOnDidDispose = (): void => {
    if (ChatPanel.#current === this) ChatPanel.#current = undefined;
    super.dispose();
  };

  #webviewOnMessage = (message: unknown): void => {
    if (!isWebviewMessage(message)) {
      this.#context.log.warn(`ignored a malformed message from the chat panel: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    this.#handle(message);
  };

  #handle(message: WebviewMessage): void {
    const { actions, session } = this.#context;
    switch (message.type) {
      case 'ready':
        this.#ready = true;
        void this.#panel.webview.postMessage({ type: 'state', state: session.snapshot() } satisfies HostMessage);
        return;
      case 'send':
        actions.send(message.text);
        return;
      case 'retry':
        actions.retry(message.id);
        return;
      case 'discard':
        actions.discard(message.id);
        return;
      case 'openImage':
        actions.openImage(message.id);
        return;
      case 'openLink':
        actions.openLink(message.url);
        return;
      case 'pickImage':
        actions.pickImage();
        return;
      case 'join':
        actions.join();
        return;
      case 'leave':
        actions.leave();
        return;
      case 'loadOlder':
      case 'search':
      case 'jump':
      case 'latest':
        session.history.request(message);
        return;
      default:
        assertNever(message);
    }
  }

  #html(): string {
    const webview = this.#panel.webview;
    const dist = vscode.Uri.joinPath(this.#context.extensionUri, 'dist');
    return renderChatHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    });
  }
}

/** The bundle, and the folders saved images are shown from (received ones, and copies of those you sent). */
function webviewOptions(extensionUri: vscode.Uri, imageFolders: readonly string[]): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), ...imageFolders.map((folder) => vscode.Uri.file(folder))],
  };
}

function assertNever(value: never): never {
  throw new Error(`unhandled panel message ${JSON.stringify(value)}`);
}
