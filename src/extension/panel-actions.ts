/**
 * What the chat panel's buttons and links do in the host: sending, retrying, opening images, links and snippets.
 * A link from the network opens only after the user confirms it, and only in the OS's browser; a snippet's path
 * only inside the workspace folders (open-snippet.ts).
 */
import * as vscode from 'vscode';
import { ChatClientError } from '../client/client';
import type { PanelActions } from './chat-webview';
import type { ChatSession } from './chat-session';
import type { JoinArguments } from './controller';
import { copySnippet, openSnippet, type SnippetDocuments } from './open-snippet';
import { plainText, REASON_MAX_CHARS } from './plain-text';

export interface PanelActionHost {
  session: ChatSession;
  join(args?: JoinArguments): void;
  /** Join with the last room, relay and name. */
  joinAgain(): void;
  pickImage(): void;
  /** The read-only documents a snippet's diff shows. */
  snippetDocuments: SnippetDocuments;
}

export function panelActions(host: PanelActionHost): PanelActions {
  const { session } = host;
  /** An action refused by the client: said in a notification (in our words around its plain-text reason). */
  const refused = (error: unknown): void => {
    void vscode.window.showErrorMessage(`UDP Chat: ${plainText((error as Error).message, REASON_MAX_CHARS)}`);
  };
  const attempt = (action: () => void): void => {
    try {
      action();
    } catch (error) {
      refused(error);
    }
  };
  return {
    react: (id, emoji, on) => attempt(() => session.react(id, emoji, on)),
    edit: (id, text) => attempt(() => session.edit(id, text)),
    remove: (id) => attempt(() => session.remove(id)),
    typing: () => attempt(() => session.typing()),
    send: (text, replyTo) => {
      try {
        session.sendText(text, replyTo);
      } catch (error) {
        if (error instanceof ChatClientError && error.code === 'not-joined') {
          void vscode.window.showWarningMessage('Join a UDP Chat room first.', 'Join').then((choice) => {
            if (choice === 'Join') host.join();
          });
        } else {
          void vscode.window.showErrorMessage(`UDP Chat: ${plainText((error as Error).message, REASON_MAX_CHARS)}`);
        }
      }
    },
    retry: (id) => {
      session.retry(id);
    },
    discard: (id) => {
      session.discard(id);
    },
    openImage: (id) => {
      const file = session.imageFile(id);
      if (file) void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { preview: true, viewColumn: vscode.ViewColumn.Beside });
      else void vscode.window.showWarningMessage('UDP Chat: that image is no longer available.');
    },
    openLink: (url) => {
      // The host as the browser will reach it (IDN in punycode), so a look-alike domain shows as what it is.
      const detail = `${url}\n\nHost: ${new URL(url).host}`;
      void vscode.window.showWarningMessage(`Open this link from the chat?`, { modal: true, detail }, 'Open Link').then((choice) => {
        if (choice === 'Open Link') void vscode.env.openExternal(vscode.Uri.parse(url, true));
      });
    },
    openSnippet: (id) => {
      const snippet = session.snippet(id);
      if (!snippet) return void vscode.window.showWarningMessage('UDP Chat: that snippet is no longer in the conversation.');
      openSnippet(snippet, host.snippetDocuments).catch(refused);
    },
    copySnippet: (id) => {
      const snippet = session.snippet(id);
      if (!snippet) return void vscode.window.showWarningMessage('UDP Chat: that snippet is no longer in the conversation.');
      copySnippet(snippet).catch(refused);
    },
    pickImage: () => host.pickImage(),
    join: () => host.joinAgain(),
    leave: () => void session.leave(),
  };
}
