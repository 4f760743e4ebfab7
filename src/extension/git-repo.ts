/**
 * What the built-in Git extension knows of a file's repository: the remote (`origin`, else the first), the branch
 * checked out and its commit, for a shared snippet. Asked of `vscode.git`'s API (version 1) and never waited on for
 * long: an extension still activating or a repository still being opened gives up after GIT_LOOKUP_MS, and the
 * snippet goes without. Each field is sent only when the wire accepts it (snippetProblem); the remote never with
 * credentials.
 */
import * as vscode from 'vscode';
import type { SnippetRepo } from '../shared/snippet';
import { repoFields } from './snippet-source';

/** How long Share Selection waits for the Git extension (activation, its first scan), in ms: a snippet is not held up longer. */
export const GIT_LOOKUP_MS = 1_500;

/** The part of the Git extension's API (extensions/git/src/api/git.d.ts) read here. */
interface GitApi {
  readonly state: 'uninitialized' | 'initialized';
  readonly onDidChangeState: vscode.Event<'uninitialized' | 'initialized'>;
  getRepository(uri: vscode.Uri): GitRepository | null;
}
interface GitRepository {
  readonly state: {
    readonly HEAD: { readonly name?: string; readonly commit?: string } | undefined;
    readonly remotes: ReadonlyArray<{ readonly name: string; readonly fetchUrl?: string; readonly pushUrl?: string }>;
  };
}
interface GitExtension {
  readonly enabled: boolean;
  getAPI(version: 1): GitApi;
}

/** The repository fields Git knows for `uri`, or undefined (no Git, not a repository, too slow). Never rejects. */
export async function repoOf(uri: vscode.Uri, timeoutMs = GIT_LOOKUP_MS): Promise<SnippetRepo | undefined> {
  if (uri.scheme !== 'file') return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([lookUp(uri, late), late]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

async function lookUp(uri: vscode.Uri, late: Promise<undefined>): Promise<SnippetRepo | undefined> {
  const extension = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!extension) return undefined;
  const exports = extension.isActive ? extension.exports : await extension.activate();
  if (!exports?.enabled) return undefined;
  const api = exports.getAPI(1);
  if (api.state !== 'initialized') await initialized(api, late);
  const repository = api.getRepository(uri);
  return repository ? fieldsOf(repository) : undefined;
}

/** Resolves once the API is initialized, or with `late`; the listener goes either way. */
async function initialized(api: GitApi, late: Promise<undefined>): Promise<void> {
  let subscription: vscode.Disposable | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve) => {
        subscription = api.onDidChangeState((state) => {
          if (state === 'initialized') resolve();
        });
      }),
      late,
    ]);
  } finally {
    subscription?.dispose();
  }
}

function fieldsOf(repository: GitRepository): SnippetRepo | undefined {
  return repoFields(repository.state.HEAD, repository.state.remotes);
}
