/**
 * How `udp-chat join` prints a received code snippet: for people, a header `path:L10-L24 (language)` under the
 * usual `[time] name:` prefix, the code indented by four spaces and, when the sender knew it, `repo: remote branch
 * commit`; with `--json`, one `snippet` event. Pure: the caller writes what these return.
 */
import type { ChatText } from '../client/client';
import type { SnippetMeta } from '../shared/snippet';
import { clock, terminalSafe, type JsonEvent } from './output';

/** Hex digits of a commit shown in the readable line, as `git log --oneline` shows them. */
const SHORT_COMMIT_DIGITS = 7;
/** What the code is indented by, so that it stands apart from the chat lines around it. */
const CODE_INDENT = '    ';

export type ChatSnippet = ChatText & { snippet: SnippetMeta };

/** `src/a.ts:L10-L24 (typescript)`, `src/a.ts:L10 (typescript)` for one line: ASCII, for any terminal. */
export function snippetHeader(meta: SnippetMeta): string {
  const lines = meta.startLine === meta.endLine ? `L${meta.startLine}` : `L${meta.startLine}-L${meta.endLine}`;
  return `${meta.path}:${lines} (${meta.language})`;
}

/** The readable lines of a snippet, joined by newlines (no trailing one). */
export function snippetText(message: ChatSnippet): string {
  const { snippet } = message;
  const code = message.text.split(/\r\n|\n|\r/).map((line) => (line.length === 0 ? '' : `${CODE_INDENT}${terminalSafe(line)}`));
  const repo = repoLine(snippet);
  return [`${clock(message.sentAt)} ${message.from}: ${snippetHeader(snippet)}`, ...code, ...(repo ? [repo] : [])].join('\n');
}

/** `repo: <remote> <branch> <commit-short>` with what is known, or undefined when nothing is. */
function repoLine(meta: SnippetMeta): string | undefined {
  const repo = meta.repo;
  if (repo === undefined) return undefined;
  const parts = [repo.remote, repo.branch, repo.commit?.slice(0, SHORT_COMMIT_DIGITS)].filter((part) => part !== undefined);
  return parts.length === 0 ? undefined : `repo: ${parts.join(' ')}`;
}

/** The `--json` event: `{"event":"snippet","from","id","ts","path","startLine","endLine","language","text","repo"?}`. */
export function snippetEvent(message: ChatSnippet): JsonEvent {
  const { snippet } = message;
  const repo = snippet.repo;
  const known = repo === undefined ? {} : { ...(repo.remote !== undefined ? { remote: repo.remote } : {}), ...(repo.branch !== undefined ? { branch: repo.branch } : {}), ...(repo.commit !== undefined ? { commit: repo.commit } : {}) };
  return {
    event: 'snippet',
    from: message.from,
    id: message.id,
    ts: message.sentAt,
    path: snippet.path,
    startLine: snippet.startLine,
    endLine: snippet.endLine,
    language: snippet.language,
    text: message.text,
    ...(Object.keys(known).length > 0 ? { repo: known } : {}),
    ...(message.backlog ? { backlog: true, storedAt: message.storedAt } : {}),
  };
}
