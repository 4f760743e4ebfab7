/**
 * `UDP Chat: Share Selection`: the lines of the active editor's primary selection (the cursor's line when nothing is
 * selected), with its language, its path relative to its workspace folder (a file outside every folder: its base
 * name; an untitled document: its title, e.g. `Untitled-1`) and, where the Git extension knows them, the
 * repository's remote, branch and commit (git-repo.ts). Sent as a snippet and shown in the chat at once, as a text
 * is. Not joined: says so and offers Join, then shares what was selected when the command ran.
 */
import * as vscode from 'vscode';
import { ChatClientError } from '../client/client';
import { snippetBytes } from '../client/snippets';
import { snippetProblem, type SnippetMeta } from '../shared/snippet';
import type { ChatSession } from './chat-session';
import { repoOf } from './git-repo';
import { plainText, REASON_MAX_CHARS } from './plain-text';
import { selectionLines, snippetPath } from './snippet-source';

export interface ShareSelectionHost {
  session: ChatSession;
  /** Asks for the room and joins; true once joined. */
  join(): Promise<boolean>;
}

/** What the command shares, read at once from the editor (before any prompt lets the selection change). */
interface Selected {
  meta: SnippetMeta;
  code: string;
  uri: vscode.Uri;
  inWorkspace: boolean;
}

/** Shares the selection of `editor` (the active one by default); resolves with the message id, or undefined. */
export async function shareSelection(host: ShareSelectionHost, editor = vscode.window.activeTextEditor): Promise<string | undefined> {
  if (!editor) {
    void vscode.window.showWarningMessage('UDP Chat: open a file and select the lines to share.');
    return undefined;
  }
  const selected = readSelection(editor);
  const problem = snippetProblem(selected.meta);
  if (problem !== undefined) {
    void vscode.window.showErrorMessage(`UDP Chat: cannot share lines of this file: ${plainText(problem, REASON_MAX_CHARS)}.`);
    return undefined;
  }
  if (selected.code.trim().length === 0) {
    void vscode.window.showWarningMessage('UDP Chat: the selected lines are empty: there is nothing to share.');
    return undefined;
  }
  if (!host.session.joined) {
    const choice = await vscode.window.showWarningMessage('Join a UDP Chat room to share code.', 'Join');
    if (choice !== 'Join' || !(await host.join())) return undefined;
  }
  const repo = selected.inWorkspace ? await repoOf(selected.uri) : undefined;
  const meta = repo ? { ...selected.meta, repo } : selected.meta;
  // The code and its place, as the client counts them against the relay's limit.
  const bytes = snippetBytes(meta, selected.code);
  try {
    return host.session.sendSnippet(meta, selected.code);
  } catch (error) {
    if (error instanceof ChatClientError && error.code === 'too-large') tooLarge(bytes, host.session.client?.maxTextBytes, error.message);
    else if (error instanceof ChatClientError && error.code === 'not-joined') void vscode.window.showWarningMessage('UDP Chat: you left the room before the snippet was sent.');
    else void vscode.window.showErrorMessage(`UDP Chat: cannot share the selection: ${plainText((error as Error).message, REASON_MAX_CHARS)}`);
    return undefined;
  }
}

function readSelection(editor: vscode.TextEditor): Selected {
  const { document, selection } = editor;
  const { startLine, endLine } = selectionLines(selection.start, selection.end);
  const range = new vscode.Range(startLine - 1, 0, endLine - 1, document.lineAt(endLine - 1).text.length);
  const code = document.getText(range).replace(/\r\n/g, '\n');
  const folder = document.isUntitled ? undefined : vscode.workspace.getWorkspaceFolder(document.uri);
  const path = snippetPath(folder?.uri.path, document.uri.path);
  const meta: SnippetMeta = { path, startLine, endLine, language: languageOf(document.languageId) };
  return { meta, code, uri: document.uri, inWorkspace: folder !== undefined };
}

/** The document's language id when the wire takes it as one, else `plaintext`. */
function languageOf(languageId: string): string {
  return snippetProblem({ path: 'a', startLine: 1, endLine: 1, language: languageId }) === undefined ? languageId : 'plaintext';
}

function tooLarge(bytes: number, limit: number | undefined, detail?: string): void {
  const most = limit !== undefined ? `at most ${inBytes(limit)}` : `smaller (${plainText(detail ?? '', REASON_MAX_CHARS)})`;
  void vscode.window.showErrorMessage(`UDP Chat: the selection is ${inBytes(bytes)} of UTF-8; a snippet may be ${most}. Select fewer lines.`);
}

/** `16,384 bytes`: exact, since a selection just over the limit must not read as equal to it. */
function inBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}
