/**
 * One webview showing the chat, whichever surface holds it (the chat view in its view container, or the editor
 * panel): its page with a nonce-locked CSP, the ready handshake (nothing is posted before the webview says
 * `ready`, and each `ready` is answered with the session's full state), and the routing of what the page asks
 * for. The session is the one source of truth: every surface renders its snapshot and its posts.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isWebviewMessage, type HostMessage, type WebviewMessage } from '../shared/panel-messages';
import type { Attachments } from './attachments';
import { renderChatHtml } from './chat-html';
import type { ChatSession } from './chat-session';
import { Disposable } from './dispose';

export interface PanelActions {
  send(text: string, replyTo?: string): void;
  react(id: string, emoji: string, on: boolean): void;
  edit(id: string, text: string): void;
  remove(id: string): void;
  typing(): void;
  retry(id: string): void;
  discard(id: string): void;
  openImage(id: string): void;
  openLink(url: string): void;
  openSnippet(id: string): void;
  copySnippet(id: string): void;
  pickImage(): void;
  join(): void;
  leave(): void;
}

export interface PanelContext {
  extensionUri: vscode.Uri;
  session: ChatSession;
  log: vscode.LogOutputChannel;
  actions: PanelActions;
  /** Pasted and dropped images waiting for Send: their previews are posted to every surface. */
  attachments: Attachments;
  /** Whether the newest message is in view changed on some surface (reading is judged again). */
  viewed: () => void;
}

export class ChatWebview extends Disposable {
  readonly #webview: vscode.Webview;
  readonly #context: PanelContext;
  #ready = false;
  #atBottom = false;
  /** The image folders localResourceRoots allows, to notice when the session saves into a new one. */
  #imageFolders: string;

  constructor(webview: vscode.Webview, context: PanelContext) {
    super();
    this.#webview = webview;
    this.#context = context;
    this.#imageFolders = this.#folders().join('\n');
    webview.options = webviewOptions(context.extensionUri, this.#folders());
    // Assigned once: showing the surface again reloads the page itself, which then says `ready`.
    webview.html = this.#html();
    this.register(webview.onDidReceiveMessage(this.#webviewOnMessage));
    context.session.on('post', this.#sessionOnPost);
    this.register({ dispose: () => context.session.off('post', this.#sessionOnPost) });
    context.attachments.on('post', this.#sessionOnPost);
    this.register({ dispose: () => context.attachments.off('post', this.#sessionOnPost) });
  }

  /** The page said `ready` and was not torn down since. */
  get ready(): boolean {
    return this.#ready;
  }

  /** The newest message is in view on this surface (as its page last said). */
  get atBottom(): boolean {
    return this.#ready && this.#atBottom;
  }

  /** The URL this webview loads a saved image file from. */
  imageSrc(file: string): string {
    return this.#webview.asWebviewUri(vscode.Uri.file(file)).toString();
  }

  post(message: HostMessage): void {
    // Before `ready` there is nobody to receive it; the state sent on `ready` includes it.
    if (!this.#ready) return;
    void this.#webview.postMessage(message);
  }

  /** Without retainContextWhenHidden a hidden webview is torn down; it says `ready` again when shown. */
  hidden(): void {
    this.#ready = false;
    this.#atBottom = false;
  }

  #sessionOnPost = (message: HostMessage): void => {
    const folders = this.#folders();
    if (folders.join('\n') !== this.#imageFolders) {
      // The save folder setting changed: allow the new folder too. If VS Code reloads the page for new options,
      // it says `ready` again and gets the whole state.
      this.#imageFolders = folders.join('\n');
      this.#webview.options = webviewOptions(this.#context.extensionUri, folders);
    }
    this.post(message);
  };

  #webviewOnMessage = (message: unknown): void => {
    if (!isWebviewMessage(message)) {
      // Bytes are summarised: a pasted image's Uint8Array written out as JSON would block the extension host.
      const text = JSON.stringify(message, (_key, value: unknown) => (ArrayBuffer.isView(value) ? `<${value.byteLength} bytes>` : value));
      this.#context.log.warn(`ignored a malformed message from the chat: ${text?.slice(0, 200)}`);
      return;
    }
    this.#handle(message);
  };

  #handle(message: WebviewMessage): void {
    const { actions, session } = this.#context;
    switch (message.type) {
      case 'ready':
        this.#ready = true;
        void this.#webview.postMessage({ type: 'state', state: session.snapshot() } satisfies HostMessage);
        for (const pending of this.#context.attachments.replay()) void this.#webview.postMessage(pending);
        return;
      case 'viewed':
        this.#atBottom = message.atBottom;
        this.#context.viewed();
        return;
      case 'send':
        actions.send(message.text, message.replyTo);
        return;
      case 'react':
        actions.react(message.id, message.emoji, message.on);
        return;
      case 'edit':
        actions.edit(message.id, message.text);
        return;
      case 'delete':
        actions.remove(message.id);
        return;
      case 'typing':
        actions.typing();
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
      case 'openSnippet':
        actions.openSnippet(message.id);
        return;
      case 'copySnippet':
        actions.copySnippet(message.id);
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
      case 'attachImage':
        this.#context.attachments.attachBytes(message.requestId, message.name, message.data);
        return;
      case 'attachUris':
        this.#context.attachments.attachUris(message.requestId, message.uris);
        return;
      case 'sendAttachment':
        this.#context.attachments.send(message.id);
        return;
      case 'cancelAttachment':
        this.#context.attachments.cancel(message.id);
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

  /** What the page may load images from: the saved images, and the previews of pasted and dropped ones. */
  #folders(): string[] {
    return [...this.#context.session.imageFolders(), this.#context.attachments.folder];
  }

  #html(): string {
    const dist = vscode.Uri.joinPath(this.#context.extensionUri, 'dist');
    return renderChatHtml({
      cspSource: this.#webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: this.#webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: this.#webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    });
  }
}

/** The bundle, and the folders saved images are shown from (received ones, and copies of those you sent). */
export function webviewOptions(extensionUri: vscode.Uri, imageFolders: readonly string[]): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), ...imageFolders.map((folder) => vscode.Uri.file(folder))],
  };
}

function assertNever(value: never): never {
  throw new Error(`unhandled chat message ${JSON.stringify(value)}`);
}
