/**
 * Replies, reactions, edits and deletes as this client sends them: the payload, after the checks that spare the
 * room a message every receiver would refuse. Pure; throws ChatClientError with a stable code.
 */
import { checkEmoji } from '../protocol/emoji';
import { parseMessageId } from '../protocol/ids';
import { PacketType } from '../protocol/types';
import type { TextKind } from '../protocol/text-kinds';
import type { MessageShape, Ownership } from './actions';
import type { ChatPayload } from './conversation';
import { ChatClientError } from './errors';

export interface ComposeContext {
  /** Our name, as texts carry it. */
  sender: string;
  /** The sender's clock, ms since the epoch. */
  sentAt: number;
  /** The relay's limit on a text, in UTF-8 bytes. */
  maxTextBytes: number;
  ownership(id: string): Ownership;
}

type TextPayload = Extract<ChatPayload, { type: typeof PacketType.Text }>;

export function composeReply(replyTo: string, text: string, context: ComposeContext): TextPayload {
  return kindText({ kind: 'reply', target: targetOf(replyTo) }, checkedText(text, context), context);
}

export function composeReaction(id: string, emoji: string, on: boolean, context: ComposeContext): TextPayload {
  const target = targetOf(id);
  const checked = checkEmoji(emoji);
  if (!checked.ok) throw new ChatClientError('invalid-emoji', checked.reason);
  return kindText({ kind: 'reaction', target, emoji: checked.value, on }, '', context);
}

export function composeEdit(id: string, text: string, context: ComposeContext): TextPayload {
  const target = targetOf(id);
  mustOwn(id, context, 'edit');
  return kindText({ kind: 'edit', target }, checkedText(text, context), context);
}

export function composeDelete(id: string, context: ComposeContext): TextPayload {
  const target = targetOf(id);
  mustOwn(id, context, 'delete');
  return kindText({ kind: 'delete', target }, '', context);
}

function kindText(kind: TextKind, text: string, context: ComposeContext): TextPayload {
  return { type: PacketType.Text, sentAt: context.sentAt, sender: context.sender, text, kind };
}

/** The message id a command names (the 16 hex digits events show). */
function targetOf(id: string): bigint {
  const target = parseMessageId(id);
  if (target === undefined || target === 0n) throw new ChatClientError('invalid-id', `${JSON.stringify(id)} is not a message id (16 hex digits, as events show them)`);
  return target;
}

function checkedText(text: string, context: ComposeContext): string {
  if (text.length === 0) throw new ChatClientError('empty', 'there is nothing to send');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > context.maxTextBytes) throw new ChatClientError('too-large', `the message is ${bytes} bytes; the relay accepts at most ${context.maxTextBytes}`);
  return text;
}

/** Only a message's sender may edit or delete it: every receiver refuses it from anyone else anyway. */
function mustOwn(id: string, context: ComposeContext, what: 'edit' | 'delete'): void {
  switch (context.ownership(id)) {
    case 'own':
      return;
    case 'image':
      if (what === 'delete') return;
      throw new ChatClientError('not-editable', `message ${id} is an image: it has no text to edit`);
    case 'snippet':
      if (what === 'delete') return;
      throw new ChatClientError('not-editable', `message ${id} is a code snippet: it quotes a file and is not edited (delete it and share again)`);
    case 'unknown':
      throw new ChatClientError('unknown-message', `there is no message ${id} here to ${what}`);
    case 'not-own':
      throw new ChatClientError('not-own', `message ${id} is someone else's: only its sender can ${what} it`);
    case 'deleted':
      throw new ChatClientError('deleted', `message ${id} is deleted`);
  }
}

/** What a payload we send is, when it is a message (a reaction, edit or delete is not one). */
export function messageShape(payload: ChatPayload): MessageShape | undefined {
  if (payload.type === PacketType.Image) return 'image';
  switch (payload.kind?.kind) {
    case undefined:
    case 'reply':
      return 'text';
    case 'snippet':
      return 'snippet';
    default:
      return undefined;
  }
}
