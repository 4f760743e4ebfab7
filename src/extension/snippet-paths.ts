/**
 * Where a snippet's path from the network may lead in this workspace, and nowhere else. The path is a name to look
 * up inside the open workspace folders: refused when absolute, with a `..`, `.` or empty segment, a backslash or a
 * drive letter (snippetProblem refuses those on the wire; checked again here, since this is where a path becomes a
 * file), then joined under each folder; the caller follows symbolic links and keeps a candidate only when its real
 * path is still inside the folder's real path (insideFolder). Pure: strings in, strings out; no fs, no vscode.
 */
import path from 'node:path';
import { snippetProblem } from '../shared/snippet';

/** The files a network path names, one per workspace folder, in the folders' order; or why there are none. */
export type SnippetCandidates = { ok: true; candidates: Array<{ folder: string; file: string }> } | { ok: false; reason: string };

/** Longest file name given to the read-only document of a snippet (a diff's left side), in characters. */
const SNIPPET_NAME_MAX_CHARS = 64;

/**
 * The candidate files for `networkPath` under `folders` (absolute file-system paths of the workspace folders, as
 * `Uri.fsPath` gives them). `platformPath` is `path` (tests pass `path.posix` or `path.win32`).
 */
export function snippetCandidates(folders: readonly string[], networkPath: string, platformPath: path.PlatformPath = path): SnippetCandidates {
  const problem = snippetProblem({ path: networkPath, startLine: 1, endLine: 1, language: 'plaintext' });
  if (problem !== undefined) return { ok: false, reason: `a snippet path with ${problem}` };
  const segments = networkPath.split('/');
  // Separators of the platform inside a segment (a `:` on Windows names a stream or a drive) are refused too.
  if (segments.some((segment) => segment.includes(platformPath.sep) || (platformPath.sep === '\\' && segment.includes(':')))) {
    return { ok: false, reason: 'a snippet path that is not relative here' };
  }
  const candidates: Array<{ folder: string; file: string }> = [];
  for (const folder of folders) {
    const file = platformPath.join(folder, ...segments);
    if (insideFolder(folder, file, platformPath)) candidates.push({ folder, file });
  }
  return candidates.length > 0 ? { ok: true, candidates } : { ok: false, reason: 'no workspace folder is open' };
}

/** `file` is `folder` itself or below it (both absolute, already resolved when links matter). */
export function insideFolder(folder: string, file: string, platformPath: path.PlatformPath = path): boolean {
  const relative = platformPath.relative(folder, file);
  if (relative === '') return false;
  // `..foo` is a name inside; only a first segment that is `..` itself climbs out.
  return relative.split(platformPath.sep)[0] !== '..' && !platformPath.isAbsolute(relative);
}

/**
 * A file name for the read-only document showing a snippet: the last segment of its path with only letters,
 * digits, `.`, `_` and `-` kept (so the editor still picks a language from the extension), never empty.
 */
export function snippetFileName(networkPath: string): string {
  const last = networkPath.split(/[/\\]/).pop() ?? '';
  const kept = last.replace(/[^A-Za-z0-9._-]/g, '').replace(/^\.+/, '').slice(-SNIPPET_NAME_MAX_CHARS);
  return kept.length > 0 ? kept : 'snippet';
}
