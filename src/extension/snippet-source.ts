/**
 * What Share Selection computes from an editor, as pure functions the command (share-selection.ts) feeds with the
 * editor's numbers and strings: the lines a selection covers, the path the receiver looks up, the repository's
 * remote without credentials, the language id, and the code compared when a snippet is opened again. No vscode.
 */
import { snippetProblem, type SnippetRepo } from '../shared/snippet';

/** A position as VS Code's `Position`: 0-based line and character. */
export interface LinePosition {
  line: number;
  character: number;
}

/**
 * The 1-based, inclusive lines a selection shares. An empty selection shares the line of the cursor. A selection
 * that ends at column 0 of a later line (a whole-line selection made with Shift+Down, or a triple click) does not
 * share that line, where nothing of it is selected.
 */
export function selectionLines(start: LinePosition, end: LinePosition): { startLine: number; endLine: number } {
  const [first, last] = start.line < end.line || (start.line === end.line && start.character <= end.character) ? [start, end] : [end, start];
  const lastLine = last.line > first.line && last.character === 0 ? last.line - 1 : last.line;
  return { startLine: first.line + 1, endLine: lastLine + 1 };
}

/**
 * The path a receiver looks up: `filePath` relative to `folderPath` (both `/`-separated, as `Uri.path` gives them),
 * or the file's base name when it is in no workspace folder (`folderPath` undefined or not above it).
 */
export function snippetPath(folderPath: string | undefined, filePath: string): string {
  if (folderPath !== undefined) {
    const folder = folderPath.endsWith('/') ? folderPath : `${folderPath}/`;
    if (filePath.startsWith(folder) && filePath.length > folder.length) return filePath.slice(folder.length);
  }
  const base = filePath.split('/').filter((segment) => segment.length > 0).pop();
  return base ?? 'untitled';
}

/**
 * A remote's URL as it may be shown to the room: the user information of a URL (`https://user:token@host/…`,
 * `ssh://git@host/…`) removed, since a token kept there is a credential. An scp-like address (`git@host:team/app`)
 * names only the SSH user, and stays as it is. Undefined when nothing that looks like an address is left.
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

/** Whether two pieces of code say the same, whatever their line endings and a final line break. */
export function sameCode(a: string, b: string): boolean {
  const normal = (code: string): string => code.replace(/\r\n|\r/g, '\n').replace(/\n$/, '');
  return normal(a) === normal(b);
}

/**
 * The repository fields of a snippet from what Git says of HEAD and the remotes: the remote `origin` (else the
 * first) by its fetch URL without credentials, the branch and the commit. A field the wire would refuse (a detached
 * HEAD has no name; a name with control characters) is left out; undefined when none is left.
 */
export function repoFields(
  head: { name?: string; commit?: string } | undefined,
  remotes: ReadonlyArray<{ name: string; fetchUrl?: string; pushUrl?: string }>,
): SnippetRepo | undefined {
  const remote = remotes.find((candidate) => candidate.name === 'origin') ?? remotes[0];
  const url = remote?.fetchUrl ?? remote?.pushUrl;
  const accepted = (field: SnippetRepo): boolean => snippetProblem({ path: 'a', startLine: 1, endLine: 1, language: 'plaintext', repo: field }) === undefined;
  const cleaned = url === undefined ? undefined : remoteWithoutCredentials(url);
  const repo: SnippetRepo = {};
  if (cleaned !== undefined && accepted({ remote: cleaned })) repo.remote = cleaned;
  if (head?.name !== undefined && accepted({ branch: head.name })) repo.branch = head.name;
  if (head?.commit !== undefined && accepted({ commit: head.commit })) repo.commit = head.commit;
  return Object.keys(repo).length > 0 ? repo : undefined;
}
