/**
 * The fields of a snippet (text kind 5, text-kinds.ts): where its code came from. Pure; reading throws
 * DecodeFailure, which the payload decoder turns into a coded error.
 *
 *   path (u16 length + UTF-8) ‖ start line (u32) ‖ end line (u32) ‖ language (u8 length + ASCII)
 *   ‖ repo flags (u8) ‖ remote (u16 length + UTF-8, flag 1) ‖ branch (u8 length + UTF-8, flag 2)
 *   ‖ commit (u8 length + ASCII hex, flag 4)
 *
 * The code follows, as the text of the payload. Every field is checked with snippetProblem, the rule the sender
 * checked too: a path that is absolute, climbs out (`..`) or names a drive never decodes.
 */
import { snippetProblem, MAX_SNIPPET_BRANCH_BYTES, MAX_SNIPPET_LANGUAGE_BYTES, MAX_SNIPPET_PATH_BYTES, MAX_SNIPPET_REMOTE_BYTES, type SnippetMeta, type SnippetRepo } from '../shared/snippet';
import { DecodeFailure, type ByteReader, type ByteWriter } from './bytes';

/** Which repository fields follow the flags byte. */
export const SnippetRepoFlag = {
  Remote: 1,
  Branch: 2,
  Commit: 4,
} as const;

const KNOWN_FLAGS = SnippetRepoFlag.Remote | SnippetRepoFlag.Branch | SnippetRepoFlag.Commit;
/** A commit is 40 (SHA-1) or 64 (SHA-256) hex digits; the length byte allows no more. */
const MAX_COMMIT_BYTES = 64;

/** Writes the fields of `meta` (checked by the caller with snippetProblem). */
export function writeSnippetMeta(writer: ByteWriter, meta: SnippetMeta): void {
  writer.str16(meta.path).u32(meta.startLine).u32(meta.endLine).str8(meta.language);
  const repo = meta.repo ?? {};
  const flags = (repo.remote !== undefined ? SnippetRepoFlag.Remote : 0) | (repo.branch !== undefined ? SnippetRepoFlag.Branch : 0) | (repo.commit !== undefined ? SnippetRepoFlag.Commit : 0);
  writer.u8(flags);
  if (repo.remote !== undefined) writer.str16(repo.remote);
  if (repo.branch !== undefined) writer.str8(repo.branch);
  if (repo.commit !== undefined) writer.str8(repo.commit);
}

/** Reads the fields written by writeSnippetMeta and checks them. Throws DecodeFailure. */
export function readSnippetMeta(reader: ByteReader): SnippetMeta {
  const path = reader.str16(MAX_SNIPPET_PATH_BYTES, 'snippet path');
  const startLine = reader.u32('snippet start line');
  const endLine = reader.u32('snippet end line');
  const language = reader.str8(MAX_SNIPPET_LANGUAGE_BYTES, 'snippet language');
  const flags = reader.u8('snippet repo flags');
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new DecodeFailure('UDPCHAT_ERR_BAD_FLAGS', `snippet repo flags 0x${flags.toString(16)}`);
  const repo: SnippetRepo = {};
  if (flags & SnippetRepoFlag.Remote) repo.remote = reader.str16(MAX_SNIPPET_REMOTE_BYTES, 'snippet remote');
  if (flags & SnippetRepoFlag.Branch) repo.branch = reader.str8(MAX_SNIPPET_BRANCH_BYTES, 'snippet branch');
  if (flags & SnippetRepoFlag.Commit) repo.commit = reader.str8(MAX_COMMIT_BYTES, 'snippet commit');
  const meta: SnippetMeta = flags === 0 ? { path, startLine, endLine, language } : { path, startLine, endLine, language, repo };
  const problem = snippetProblem(meta);
  if (problem !== undefined) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `a snippet with ${problem}`);
  return meta;
}
