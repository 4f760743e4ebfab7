/**
 * A code snippet: lines of a file shared from the editor (`UDP Chat: Share Selection`) or the CLI (`/snippet`).
 * The code itself is the message's text; this is what says where it came from. Everything here crossed the
 * network: the path is a name for the receiver to look up inside its own workspace folders, never a path to open
 * as it stands, and the repository fields are shown as text. Types, limits and a pure check, shared by the
 * protocol, the client, the extension host and the webview (nothing node-, DOM- or vscode-specific).
 */

/** Where the snippet's file is under version control, as the sender's Git extension knew it (each field optional). */
export interface SnippetRepo {
  /** The remote's URL without credentials (e.g. `https://github.com/team/app.git`). */
  remote?: string;
  branch?: string;
  /** The commit checked out (40 or 64 hex digits). */
  commit?: string;
}

/** What a snippet says about its code. */
export interface SnippetMeta {
  /** The file, relative to the sender's workspace folder, `/`-separated, e.g. `src/a.ts`. */
  path: string;
  /** First and last line shared, 1-based, inclusive (`startLine ≤ endLine`). */
  startLine: number;
  endLine: number;
  /** The VS Code language id (`typescript`, `python`, …; `plaintext` when unknown). */
  language: string;
  repo?: SnippetRepo;
}

/** Longest path, in UTF-8 bytes. */
export const MAX_SNIPPET_PATH_BYTES = 1024;
/** Longest language id, in bytes (ids are short ASCII words). */
export const MAX_SNIPPET_LANGUAGE_BYTES = 64;
/** Longest remote URL and branch name, in UTF-8 bytes. */
export const MAX_SNIPPET_REMOTE_BYTES = 512;
export const MAX_SNIPPET_BRANCH_BYTES = 255;
/** Highest line number a snippet may name (files of more lines are not shared line by line). */
export const MAX_SNIPPET_LINE = 10_000_000;

/** A language id as VS Code writes them: letters, digits and a few marks (`c++`, `objective-c`, `shellscript`). */
const LANGUAGE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+#-]*$/;
const COMMIT_PATTERN = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** No control, format (bidi, zero-width) or line-separator characters: what is shown is what it says. */
function isPlainLine(text: string): boolean {
  return !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(text);
}

/**
 * Why `meta` is not a snippet this version accepts, or undefined when it is. The path must be relative and
 * `/`-separated with no empty, `.` or `..` segment, no backslash, no drive letter; the lines in order and in range.
 */
export function snippetProblem(meta: SnippetMeta): string | undefined {
  const { path, startLine, endLine, language, repo } = meta;
  if (path.length === 0) return 'an empty path';
  if (byteLength(path) > MAX_SNIPPET_PATH_BYTES) return `a path over ${MAX_SNIPPET_PATH_BYTES} bytes`;
  if (!isPlainLine(path)) return 'a path with control characters';
  if (path.includes('\\') || path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'a path that is not relative';
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) return 'a path with an empty, . or .. segment';
  if (!Number.isSafeInteger(startLine) || !Number.isSafeInteger(endLine)) return 'line numbers that are not whole';
  if (startLine < 1 || endLine < startLine || endLine > MAX_SNIPPET_LINE) return `lines ${startLine}–${endLine}`;
  if (byteLength(language) > MAX_SNIPPET_LANGUAGE_BYTES || !LANGUAGE_PATTERN.test(language)) return 'a language id that is not one';
  if (repo !== undefined) {
    if (repo.remote !== undefined && (repo.remote.length === 0 || byteLength(repo.remote) > MAX_SNIPPET_REMOTE_BYTES || !isPlainLine(repo.remote) || /\s/.test(repo.remote))) {
      return 'a remote that is not one';
    }
    if (repo.branch !== undefined && (repo.branch.length === 0 || byteLength(repo.branch) > MAX_SNIPPET_BRANCH_BYTES || !isPlainLine(repo.branch))) {
      return 'a branch that is not one';
    }
    if (repo.commit !== undefined && !COMMIT_PATTERN.test(repo.commit)) return 'a commit that is not 40 or 64 hex digits';
  }
  return undefined;
}

/**
 * A remote's URL as it may be shown to the room: the user information of a URL (`https://user:token@host/…`,
 * `ssh://git@host/…`) removed, since a token kept there is a credential; everything up to the last `@` of the
 * authority goes, so an `@` inside a password leaks nothing. An scp-like address (`git@host:team/app`) names only
 * the SSH user, and stays as it is. Undefined when nothing that looks like an address is left.
 */
export function remoteWithoutCredentials(url: string): string | undefined {
  const trimmed = url.trim();
  if (trimmed.length === 0 || /\s/.test(trimmed)) return undefined;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/.exec(trimmed);
  if (!scheme) return trimmed;
  const [, prefix, authority = '', rest] = scheme;
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority : authority.slice(at + 1);
  return host.length > 0 || prefix === 'file://' ? `${prefix}${host}${rest}` : undefined;
}

/**
 * The repository fields a snippet carries, from what Git says: the remote without credentials, the branch and the
 * commit, each left out when the wire would refuse it (snippetProblem); undefined when none is left.
 */
export function snippetRepo(found: { remote?: string; branch?: string; commit?: string }): SnippetRepo | undefined {
  const accepted = (field: SnippetRepo): boolean => snippetProblem({ path: 'a', startLine: 1, endLine: 1, language: 'plaintext', repo: field }) === undefined;
  const remote = found.remote === undefined ? undefined : remoteWithoutCredentials(found.remote);
  const repo: SnippetRepo = {};
  if (remote !== undefined && accepted({ remote })) repo.remote = remote;
  if (found.branch !== undefined && accepted({ branch: found.branch })) repo.branch = found.branch;
  if (found.commit !== undefined && accepted({ commit: found.commit })) repo.commit = found.commit;
  return Object.keys(repo).length > 0 ? repo : undefined;
}

/** `src/a.ts:L10–L24` (one line: `src/a.ts:L10`), as the panel heads a snippet. */
export function snippetLocation(meta: Pick<SnippetMeta, 'path' | 'startLine' | 'endLine'>): string {
  return meta.startLine === meta.endLine ? `${meta.path}:L${meta.startLine}` : `${meta.path}:L${meta.startLine}–L${meta.endLine}`;
}
