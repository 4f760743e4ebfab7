/**
 * What Share Selection computes from an editor, as pure functions the command (share-selection.ts) feeds with the
 * editor's numbers and strings: the lines a selection covers, the path the receiver looks up, the repository's
 * fields from what the Git extension says, the language id, and the code compared when a snippet is opened again. No vscode.
 */
import { snippetRepo, type SnippetRepo } from '../shared/snippet';

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
  return snippetRepo({ remote: remote?.fetchUrl ?? remote?.pushUrl, branch: head?.name, commit: head?.commit });
}
