/**
 * Open and Copy of a snippet in the conversation. Open looks the snippet's path up ONLY inside the open workspace
 * folders (snippet-paths.ts; a symbolic link that leads out of its folder is not followed), and shows that file
 * with the snippet's lines selected, or a diff against the snippet when the text there has changed since; a path
 * found in no folder opens the snippet in an untitled editor of its language. No path or URI from the network is
 * opened as it stands: the diff's left side is a read-only document of ours (SnippetDocuments), named by a number
 * we chose and a sanitised file name.
 */
import fs from 'node:fs';
import * as vscode from 'vscode';
import { snippetLocation } from '../shared/snippet';
import { NAME_MAX_CHARS, plainText, quoted } from './plain-text';
import type { SessionSnippet } from './session-snippets';
import { insideFolder, snippetCandidates, snippetFileName } from './snippet-paths';
import { sameCode } from './snippet-source';

/** The scheme of the read-only documents holding snippets (a diff's left side). */
export const SNIPPET_SCHEME = 'udpchat-snippet';
/** Snippets kept for their documents, the oldest forgotten first: each is at most a text's size (16 KiB). */
const KEPT_SNIPPETS = 32;
/** Files larger than this are not opened for a snippet (VS Code would ask, or refuse), in bytes. */
const MAX_OPENED_FILE_BYTES = 50 * 1024 * 1024;
/** How long "Snippet copied" stays in the status bar, in ms. */
const COPIED_MESSAGE_MS = 3_000;

/** The read-only documents of snippets: `udpchat-snippet:/<number>/<file name>`, the number ours. */
export class SnippetDocuments implements vscode.TextDocumentContentProvider {
  #next = 0;
  readonly #codes = new Map<string, string>();

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.#codes.get(uri.path.split('/')[1] ?? '') ?? '';
  }

  /** A document holding `snippet`'s code, named after its file. */
  uriFor(snippet: SessionSnippet): vscode.Uri {
    const key = String(++this.#next);
    this.#codes.set(key, snippet.code);
    for (const old of this.#codes.keys()) {
      if (this.#codes.size <= KEPT_SNIPPETS) break;
      this.#codes.delete(old);
    }
    return vscode.Uri.from({ scheme: SNIPPET_SCHEME, path: `/${key}/${snippetFileName(snippet.meta.path)}` });
  }
}

/** What Open showed. */
export type Opened = 'file' | 'diff' | 'untitled';

/** Opens `snippet` (see the file's comment); resolves with what it showed. Rejects only when VS Code cannot open it. */
export async function openSnippet(snippet: SessionSnippet, documents: SnippetDocuments): Promise<Opened> {
  const file = await workspaceFile(snippet.meta.path);
  if (file === undefined) return openUntitled(snippet);
  const document = await vscode.workspace.openTextDocument(file);
  const { startLine, endLine } = snippet.meta;
  const last = document.lineCount - 1;
  const range = new vscode.Range(Math.min(startLine - 1, last), 0, Math.min(endLine - 1, last), document.lineAt(Math.min(endLine - 1, last)).text.length);
  if (endLine - 1 <= last && sameCode(document.getText(range), snippet.code)) {
    const editor = await vscode.window.showTextDocument(document, { selection: range, preview: true });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return 'file';
  }
  const who = snippet.own ? 'your snippet' : `snippet from ${quoted(snippet.from, NAME_MAX_CHARS)}`;
  const title = `${plainText(snippetLocation(snippet.meta), 120)}: ${who} ↔ workspace`;
  await vscode.commands.executeCommand('vscode.diff', documents.uriFor(snippet), file, title, { selection: range, preview: true });
  return 'diff';
}

/** Copies the snippet's code and says so in the status bar. */
export async function copySnippet(snippet: SessionSnippet): Promise<void> {
  await vscode.env.clipboard.writeText(snippet.code);
  vscode.window.setStatusBarMessage('$(check) Snippet copied', COPIED_MESSAGE_MS);
}

/**
 * The file `networkPath` names in the first workspace folder (on disk) that has it, after links are followed and
 * the real path is checked to be still inside the folder's real path; undefined when none has it.
 */
export async function workspaceFile(networkPath: string): Promise<vscode.Uri | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file').map((folder) => folder.uri.fsPath);
  const found = snippetCandidates(folders, networkPath);
  if (!found.ok) return undefined;
  for (const { folder, file } of found.candidates) {
    try {
      const [realFolder, realFile] = await Promise.all([fs.promises.realpath(folder), fs.promises.realpath(file)]);
      if (!insideFolder(realFolder, realFile)) continue;
      const stat = await fs.promises.stat(realFile);
      if (stat.isFile() && stat.size <= MAX_OPENED_FILE_BYTES) return vscode.Uri.file(realFile);
    } catch {
      // Missing or unreadable here: the next folder may have it.
    }
  }
  return undefined;
}

async function openUntitled(snippet: SessionSnippet): Promise<Opened> {
  const languages = await vscode.languages.getLanguages();
  const language = languages.includes(snippet.meta.language) ? snippet.meta.language : 'plaintext';
  const document = await vscode.workspace.openTextDocument({ language, content: snippet.code });
  await vscode.window.showTextDocument(document, { preview: true });
  return 'untitled';
}
