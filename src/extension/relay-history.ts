/**
 * The client library's side of history, reached through one place: where a received message sits in the relay's
 * history (`backlog`, `seq`), the join's history option, and asking the relay for an older page.
 */
import type { ChatClient, ChatImage, ChatText, HistoryOptions } from '../client/client';
import type { RelayPlace } from './session-history';

/** Messages a first join asks for when the local history holds nothing of the room's relay history. */
export const INITIAL_BACKLOG = 50;

/** Where the relay's history has a message: replayed from it (`backlog`), and its per-room sequence number. */
export function relayPlace(message: ChatText | ChatImage): RelayPlace {
  const seq = message.seq;
  return { backlog: message.backlog === true, seq: seq !== undefined && Number.isSafeInteger(seq) && seq > 0 ? seq : undefined };
}

/** The join's history option: catch-up after the last sequence number covered, else the latest few. */
export function historyOption(covered: number): HistoryOptions {
  return covered > 0 ? { initial: INITIAL_BACKLOG, after: covered } : { initial: INITIAL_BACKLOG };
}

/** Asks the relay for up to `limit` messages before `beforeSeq` (they arrive as `message`/`image` events). */
export function olderFetcher(client: ChatClient | undefined): ((beforeSeq: number, limit: number) => Promise<{ complete: boolean; count: number }>) | undefined {
  return client ? (beforeSeq, limit) => client.requestHistory({ before: beforeSeq, limit }) : undefined;
}
