/**
 * Code snippets in the conversation: an own snippet shown as soon as the client has queued it (as an own text is),
 * and the snippet behind an entry for the panel's Open and Copy. A snippet is a text entry whose text is the code,
 * with the SnippetMeta that says where it came from. No vscode.
 */
import type { ChatClient } from '../client/client';
import type { SnippetMeta } from '../shared/snippet';
import type { StoredEntry } from './conversation-history';
import type { OutgoingOptions } from './outgoing';

/** A snippet as Open and Copy need it. */
export interface SessionSnippet {
  /** The entry's id in the conversation. */
  id: string;
  from: string;
  own: boolean;
  meta: SnippetMeta;
  code: string;
}

/**
 * Sends `code` with `meta` on `client` and shows it; returns its id, or throws ChatClientError (empty, too large,
 * not a snippet the wire accepts, outbox full).
 */
export function sendOwnSnippet(client: ChatClient, meta: SnippetMeta, code: string, options: Pick<OutgoingOptions, 'panel' | 'encrypted'>): string {
  const id = client.sendSnippet(meta, code);
  options.panel.add({
    kind: 'text',
    id,
    from: client.name,
    own: true,
    text: code,
    snippet: meta,
    sentAt: Date.now(),
    legacy: false,
    encrypted: options.encrypted(),
    delivery: { state: client.state === 'connected' ? 'sending' : 'queued', progress: 0 },
  });
  return id;
}

/** The snippet entry `entry` holds, or undefined: not a snippet, or deleted (its code is no longer shown). */
export function snippetOf(entry: StoredEntry | undefined): SessionSnippet | undefined {
  if (entry?.kind !== 'text' || entry.snippet === undefined || entry.deleted === true) return undefined;
  return { id: entry.id, from: entry.from, own: entry.own, meta: entry.snippet, code: entry.text };
}
