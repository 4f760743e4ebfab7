/**
 * The action ledger's verdicts as client events, with the mentions of each text found against the room. Pure
 * apart from `emit`.
 */
import { mentionedNames } from '../shared/mentions';
import { assertNever } from '../protocol/types';
import type { LedgerEvent } from './actions';
import type { ChatClientEvents } from './types';

type Emit = <E extends keyof ChatClientEvents & string>(event: E, ...args: ChatClientEvents[E]) => void;

/** Emits each reaction, edit and delete; `names`: the room's members and our own, for an edit's mentions. */
export function emitLedgerEvents(emit: Emit, events: readonly LedgerEvent[], names: () => readonly string[]): void {
  for (const event of events) {
    switch (event.kind) {
      case 'reaction':
        emit('reaction', event.reaction);
        break;
      case 'edit':
        emit('edit', withMentions(event.edit, names()));
        break;
      case 'delete':
        emit('delete', event.deletion);
        break;
      default:
        assertNever(event, 'ledger event');
    }
  }
}

/** The text's mentions of `names` (the rule of src/shared/mentions.ts, which the panel highlights), when there are any. */
export function withMentions<T extends { text: string; mentions?: string[] }>(message: T, names: readonly string[]): T {
  const mentions = mentionedNames(message.text, names);
  return mentions.length === 0 ? message : { ...message, mentions };
}
