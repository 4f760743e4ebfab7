/**
 * Kinds of text: replies, reactions, edits and deletes travel as Text messages (type 0x20) whose payload marks
 * itself with a sender-length byte of 0xFF, which no name can have (names are at most 32 bytes). So every relay of
 * version 3 forwards, numbers and stores them as texts (sealed like texts in a sealed room), and a version-3 client
 * that predates them refuses the payload as malformed and shows nothing, instead of showing garbage. Pure.
 *
 *   sent at (u64) ‖ 0xFF ‖ kind (u8) ‖ sender (u8 length + UTF-8) ‖ the kind's fields
 *
 * A kind this version does not know decodes as `unknown` and is ignored by receivers: later kinds add themselves
 * without a new protocol version (a snippet, kind 5, came so).
 */
import type { SnippetMeta } from '../shared/snippet';
import { ByteReader, ByteWriter, DecodeFailure, decodeUtf8 } from './bytes';
import { MAX_NAME_BYTES } from './constants';
import { checkEmoji, MAX_EMOJI_BYTES } from './emoji';
import { readSnippetMeta, writeSnippetMeta } from './snippet-codec';

/** The sender-length byte of a text that carries a kind: above MAX_NAME_BYTES, so older decoders refuse it. */
export const TEXT_KIND_MARK = 0xff;

/** Stable numbers: never reuse one. */
export const TextKindCode = {
  /** A text answering another message: replyTo (u64) ‖ text (UTF-8, rest). */
  Reply: 1,
  /** A reaction turned on or off: message id (u64) ‖ on (u8: 0 or 1) ‖ emoji (u8 length + UTF-8, ≤ 32 bytes). */
  Reaction: 2,
  /** The new text of one of the sender's messages: message id (u64) ‖ text (UTF-8, rest, not empty). */
  Edit: 3,
  /** One of the sender's messages deleted: message id (u64). */
  Delete: 4,
  /**
   * Code shared from a file: its location and language (snippet-codec.ts) ‖ code (UTF-8, rest, not empty). A text
   * of its own, not about another message.
   */
  Snippet: 5,
} as const;

/** What a text is besides plain text (absent: a plain text, in the original layout). */
export type TextKind =
  | { kind: 'reply'; target: bigint }
  | { kind: 'reaction'; target: bigint; emoji: string; on: boolean }
  | { kind: 'edit'; target: bigint }
  | { kind: 'delete'; target: bigint }
  /** The text is the code; `meta` says where it came from (checked with snippetProblem). */
  | { kind: 'snippet'; meta: SnippetMeta }
  /**
   * A kind of a later version: its fields are not read, but kept as they came (`rest`, absent when there are
   * none), so the payload encodes again to the very bytes it was decoded from.
   */
  | { kind: 'unknown'; code: number; rest?: Uint8Array };

/** Writes a text payload with a kind: its text is the reply's, the edit's or the snippet's code, and empty for the others. */
export function writeKindText(writer: ByteWriter, sentAt: number, sender: string, kind: TextKind, text: string): void {
  writer.timestamp(sentAt).u8(TEXT_KIND_MARK);
  switch (kind.kind) {
    case 'reply':
      writer.u8(TextKindCode.Reply).str8(sender).u64(kind.target).bytes(new TextEncoder().encode(text));
      return;
    case 'reaction':
      writer.u8(TextKindCode.Reaction).str8(sender).u64(kind.target).u8(kind.on ? 1 : 0).str8(kind.emoji);
      return;
    case 'edit':
      writer.u8(TextKindCode.Edit).str8(sender).u64(kind.target).bytes(new TextEncoder().encode(text));
      return;
    case 'delete':
      writer.u8(TextKindCode.Delete).str8(sender).u64(kind.target);
      return;
    case 'snippet':
      writer.u8(TextKindCode.Snippet).str8(sender);
      writeSnippetMeta(writer, kind.meta);
      writer.bytes(new TextEncoder().encode(text));
      return;
    case 'unknown':
      writer.u8(kind.code).str8(sender);
      if (kind.rest) writer.bytes(kind.rest);
      return;
    default: {
      const never: never = kind;
      throw new Error(`unexpected text kind: ${JSON.stringify(never)}`);
    }
  }
}

/** Reads what follows the mark (the reader is past sent at and the mark). Throws DecodeFailure. */
export function readKindText(reader: ByteReader): { sender: string; kind: TextKind; text: string } {
  const code = reader.u8('text kind');
  const sender = reader.str8(MAX_NAME_BYTES, 'sender');
  switch (code) {
    case TextKindCode.Reply: {
      const target = readTarget(reader);
      return { sender, kind: { kind: 'reply', target }, text: decodeUtf8(reader.rest(), 'text') };
    }
    case TextKindCode.Reaction: {
      const target = readTarget(reader);
      const on = reader.u8('reaction on');
      const emoji = reader.str8(MAX_EMOJI_BYTES, 'emoji');
      reader.end('reaction');
      if (on > 1) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `reaction on ${on}`);
      const checked = checkEmoji(emoji);
      if (!checked.ok) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', checked.reason);
      return { sender, kind: { kind: 'reaction', target, emoji, on: on === 1 }, text: '' };
    }
    case TextKindCode.Edit: {
      const target = readTarget(reader);
      const text = decodeUtf8(reader.rest(), 'text');
      if (text.length === 0) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', 'an edit without text');
      return { sender, kind: { kind: 'edit', target }, text };
    }
    case TextKindCode.Delete: {
      const target = readTarget(reader);
      reader.end('delete');
      return { sender, kind: { kind: 'delete', target }, text: '' };
    }
    case TextKindCode.Snippet: {
      const meta = readSnippetMeta(reader);
      const text = decodeUtf8(reader.rest(), 'snippet code');
      if (text.length === 0) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', 'a snippet without code');
      return { sender, kind: { kind: 'snippet', meta }, text };
    }
    default: {
      const rest = reader.rest();
      return { sender, kind: rest.length > 0 ? { kind: 'unknown', code, rest: Uint8Array.from(rest) } : { kind: 'unknown', code }, text: '' };
    }
  }
}

/** The message a kind is about: an id its origin chose, never 0 (ids count from 1). */
function readTarget(reader: ByteReader): bigint {
  const target = reader.u64('message id');
  if (target === 0n) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', 'message id 0');
  return target;
}
