/**
 * The local history in the editor: where it lives (the extension's global storage), which image files are its
 * own, and UDP Chat: Clear Room History, which asks first and forgets the room shown.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { ChatSession } from './chat-session';
import { plainText, REASON_MAX_CHARS } from './plain-text';
import { readSettings } from './settings';
import type { HistoryConfig } from './session-history';

/** Where the extension keeps its local history and the images it saved itself. */
export function historyConfig(context: vscode.ExtensionContext): HistoryConfig {
  const storage = context.globalStorageUri.fsPath;
  return {
    file: path.join(storage, 'history', 'local-history.sqlite'),
    workerPath: path.join(context.extensionPath, 'dist', 'history-worker.js'),
    settings: () => readSettings().history,
    // Images saved into the extension's own storage are the history's to delete; `udpChat.saveFolder` is the user's.
    ownedFolders: () => [path.join(storage, 'images'), path.join(storage, 'sent-images')],
  };
}

/** Arguments for scripts and tests: `confirmed` skips the question. */
export interface ClearHistoryArguments {
  confirmed?: boolean;
}

const CLEAR = 'Clear History';

/** Asks, then forgets the shown room's local history. Resolves true when it was cleared. */
export async function clearRoomHistory(session: ChatSession, log: vscode.LogOutputChannel, args: ClearHistoryArguments = {}): Promise<boolean> {
  const room = session.history.room;
  if (!room) {
    void vscode.window.showInformationMessage('UDP Chat: no room history is open. Join a room first.');
    return false;
  }
  if (!args.confirmed) {
    const choice = await vscode.window.showWarningMessage(
      `Clear the history of ${plainText(room, REASON_MAX_CHARS)}?`,
      {
        modal: true,
        detail:
          "This editor's copy of the conversation and the images it kept for it are deleted. The relay's history, other members' copies and your save folder are not touched.",
      },
      CLEAR,
    );
    if (choice !== CLEAR) return false;
  }
  try {
    const result = await session.history.clear();
    if (!result) return false;
    log.info(`history: cleared ${room}: ${result.removed} entries, ${result.filesDeleted} image files`);
    return true;
  } catch (error) {
    void vscode.window.showErrorMessage(`UDP Chat: could not clear the history: ${plainText((error as Error).message, REASON_MAX_CHARS)}`);
    return false;
  }
}
