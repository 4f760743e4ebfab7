/**
 * `udp-chat join`'s replies, reactions, edits, deletes, typing and presence: the commands that send them and the events that
 * show them. Own actions are not echoed (as own texts are not), except as `sent` with `--json`.
 */
import { ChatClientError, type ChatClient } from '../client/client';
import { clock, type Output } from './output';

export const ACTION_HELP = `  /reply ID TEXT  answer message ID
  /react ID EMOJI toggle your reaction EMOJI on message ID
  /edit ID TEXT   replace the text of your message ID
  /delete ID      delete your message ID
  /typing         tell the room you are typing
  /away, /active  tell the room you are away, or back`;

/** Prints what others do to messages; `inOrder` keeps them after the messages they are about. */
export function showActions(client: ChatClient, output: Output, inOrder: (print: () => void) => void): void {
  client.on('reaction', (reaction) => {
    inOrder(() =>
      output.event(
        { event: 'reaction', id: reaction.id, from: reaction.from, emoji: reaction.emoji, on: reaction.on, ...(reaction.backlog ? { backlog: true } : {}) },
        `${clock()} * ${reaction.from} ${reaction.on ? 'reacted' : 'took back'} ${reaction.emoji} ${reaction.on ? 'to' : 'on'} ${reaction.id}`,
      ),
    );
  });
  client.on('edit', (edit) => {
    inOrder(() =>
      output.event(
        { event: 'edit', id: edit.id, from: edit.from, text: edit.text, ...(edit.mentions ? { mentions: edit.mentions } : {}), ...(edit.backlog ? { backlog: true } : {}) },
        `${clock(edit.editedAt)} * ${edit.from} edited ${edit.id}: ${edit.text}`,
      ),
    );
  });
  client.on('delete', (deletion) => {
    inOrder(() =>
      output.event(
        { event: 'delete', id: deletion.id, from: deletion.from, ...(deletion.backlog ? { backlog: true } : {}) },
        `${clock(deletion.deletedAt)} * ${deletion.from} deleted ${deletion.id}`,
      ),
    );
  });
  // Scripts only: a terminal line every few seconds while someone types would bury the conversation.
  client.on('typing', (typing) => output.event({ event: 'typing', from: typing.from }, undefined));
  client.on('presence', (presence) => output.event({ event: 'presence', from: presence.from, state: presence.state }, `${clock()} * ${presence.from} is ${presence.state}`));
}

/** Runs `/reply`, `/react`, `/edit`, `/delete`, `/typing`, `/away` or `/active`; false for any other command. */
export function runActionCommand(command: string, argument: string, client: ChatClient, output: Output): boolean {
  const [id = '', ...rest] = argument.split(' ');
  const text = rest.join(' ');
  switch (command) {
    case 'reply':
      if (!id || !text) output.error('usage', 'usage: /reply ID TEXT');
      else attempt(output, id, () => ({ event: 'sent', id: client.sendReply(id, text), kind: 'reply', replyTo: id, text }));
      return true;
    case 'react':
      if (!id || !text) output.error('usage', 'usage: /react ID EMOJI');
      else
        attempt(output, id, () => {
          const sent = client.react(id, text.trim());
          return { event: 'sent', id: sent.id, kind: 'reaction', target: id, emoji: text.trim(), on: sent.on };
        });
      return true;
    case 'edit':
      if (!id || !text) output.error('usage', 'usage: /edit ID TEXT');
      else attempt(output, id, () => ({ event: 'sent', id: client.editMessage(id, text), kind: 'edit', target: id, text }));
      return true;
    case 'delete':
      if (!id || text) output.error('usage', 'usage: /delete ID');
      else attempt(output, id, () => ({ event: 'sent', id: client.deleteMessage(id), kind: 'delete', target: id }));
      return true;
    case 'typing':
      client.sendTyping();
      return true;
    case 'away':
    case 'active':
      client.setPresence(command);
      return true;
    default:
      return false;
  }
}

/** Sends, then says so with `--json`; a refusal is an error event naming the message. */
function attempt(output: Output, id: string, send: () => { event: string } & Record<string, unknown>): void {
  try {
    const sent = send();
    if (output.json) output.event(sent, undefined);
  } catch (error) {
    output.error(error instanceof ChatClientError ? error.code : 'send-failed', (error as Error).message, { id });
  }
}
