/**
 * A code snippet as this client sends it (text kind 5, src/protocol/text-kinds.ts): the checks that spare the room
 * a snippet every receiver would refuse, and the payload. Pure; throws ChatClientError with a stable code.
 */
import { ByteWriter } from '../protocol/bytes';
import { writeSnippetMeta } from '../protocol/snippet-codec';
import { PacketType } from '../protocol/types';
import { snippetProblem, type SnippetMeta } from '../shared/snippet';
import type { ComposeContext } from './compose';
import type { ChatPayload } from './conversation';
import { ChatClientError } from './errors';

type TextPayload = Extract<ChatPayload, { type: typeof PacketType.Text }>;

/**
 * The bytes a snippet counts against the relay's text limit: its code and its location fields. The rest of the
 * payload (time, sender, kind, a seal) fits in the allowance the relay adds to every text (PAYLOAD_OVERHEAD_BYTES).
 */
export function snippetBytes(meta: SnippetMeta, code: string): number {
  const writer = new ByteWriter(256);
  writeSnippetMeta(writer, meta);
  return writer.length + Buffer.byteLength(code, 'utf8');
}

/**
 * The payload of a snippet of `code` from `meta`'s place. Throws ChatClientError `invalid-snippet` (the location
 * is not one snippetProblem accepts), `empty` (no code) or `too-large` (its size and the limit, in KB, for the UI).
 */
export function composeSnippet(meta: SnippetMeta, code: string, context: Pick<ComposeContext, 'sender' | 'sentAt' | 'maxTextBytes'>): TextPayload {
  const problem = snippetProblem(meta);
  if (problem !== undefined) throw new ChatClientError('invalid-snippet', `this snippet cannot be sent: it has ${problem}`);
  if (code.length === 0) throw new ChatClientError('empty', 'the snippet has no code to send');
  const bytes = snippetBytes(meta, code);
  if (bytes > context.maxTextBytes) {
    throw new ChatClientError('too-large', `the snippet is ${kilobytesUp(bytes)} KB; the relay accepts at most ${kilobytesDown(context.maxTextBytes)} KB (share fewer lines)`);
  }
  return { type: PacketType.Text, sentAt: context.sentAt, sender: context.sender, text: code, kind: { kind: 'snippet', meta: copyMeta(meta) } };
}

/** KB with one decimal, rounded up: a size just over the limit never reads as the limit. */
function kilobytesUp(bytes: number): string {
  return String(Math.ceil(bytes / 102.4) / 10);
}

/** KB with one decimal, rounded down. */
function kilobytesDown(bytes: number): string {
  return String(Math.floor(bytes / 102.4) / 10);
}

/**
 * Only the fields a snippet has (whatever else the caller's object carried stays out of the outbox), and no `repo`
 * when it names nothing: as receivers decode it.
 */
function copyMeta(meta: SnippetMeta): SnippetMeta {
  const { path, startLine, endLine, language, repo } = meta;
  const known = {
    ...(repo?.remote !== undefined ? { remote: repo.remote } : {}),
    ...(repo?.branch !== undefined ? { branch: repo.branch } : {}),
    ...(repo?.commit !== undefined ? { commit: repo.commit } : {}),
  };
  return Object.keys(known).length === 0 ? { path, startLine, endLine, language } : { path, startLine, endLine, language, repo: known };
}
