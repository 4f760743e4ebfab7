/**
 * The chat panel's questions about the room's history, answered in the host: older entries (the local history,
 * then the relay), search, the entries around a hit, and back to the latest. Every question gets its answer, an
 * empty one when there is no history.
 */
import type { ChatClient } from '../client/client';
import type { ChatStateView, EntryView, HostMessage, WebviewMessage } from '../shared/panel-messages';
import type { StoredEntry } from './conversation-history';
import type { PanelState } from './panel-state';
import { olderFetcher } from './relay-history';
import type { SessionHistory } from './session-history';

export type HistoryRequest = Extract<WebviewMessage, { type: 'loadOlder' | 'search' | 'jump' | 'latest' }>;

export interface HistoryRequestContext {
  history: SessionHistory;
  /** The entry as the webview gets it. */
  view: (entry: StoredEntry) => EntryView;
  post: (message: HostMessage) => void;
  /** The joined client, which can ask the relay for older pages. */
  client: () => ChatClient | undefined;
  snapshot: () => ChatStateView;
}

/** The room's history as the panel and the commands reach it. */
export class PanelHistory {
  readonly #context: HistoryRequestContext;
  readonly #panel: PanelState;
  readonly #log: (level: 'warn', message: string) => void;

  constructor(context: Omit<HistoryRequestContext, 'view'>, panel: PanelState, log: (level: 'warn', message: string) => void) {
    this.#context = { ...context, view: (entry) => panel.view(entry) };
    this.#panel = panel;
    this.#log = log;
  }

  /** The room whose history the panel shows ("host:port/room"), if any. */
  get room(): string | undefined {
    return this.#context.history.key;
  }

  /** A question of the panel (older entries, search, jump, latest): answered by a post, never left open. */
  request(request: HistoryRequest): void {
    answerHistoryRequest(request, this.#context).catch((error: unknown) => this.#log('warn', `history: ${(error as Error).message}`));
  }

  /** Forgets the open room's local history (and its own image files); resolves with what went, undefined: none open. */
  async clear(): Promise<{ removed: number; filesDeleted: number } | undefined> {
    const result = await this.#context.history.clear();
    if (!result) return undefined;
    this.#panel.reset([]);
    this.#context.post({ type: 'historyCleared' });
    this.#context.post({ type: 'state', state: this.#context.snapshot() });
    return result;
  }
}

export async function answerHistoryRequest(request: HistoryRequest, context: HistoryRequestContext): Promise<void> {
  const { history, post, view } = context;
  switch (request.type) {
    case 'loadOlder': {
      const { entries, hasOlder } = await history.older(request.beforeId, request.limit, olderFetcher(context.client()));
      post({ type: 'older', requestId: request.requestId, entries: entries.map(view), hasOlder });
      return;
    }
    case 'search': {
      const hits = await history.search(request.query);
      post({ type: 'searchResults', requestId: request.requestId, query: request.query, hits });
      return;
    }
    case 'jump': {
      const window = await history.around(request.id);
      if (window) {
        const { hasOlder, hasNewer } = window;
        post({ type: 'jumpTo', requestId: request.requestId, entries: window.entries.map(view), targetId: request.id, highlight: request.query, hasOlder, hasNewer });
      } else {
        // Not in the history (cleared meanwhile): the latest entries, with nothing to scroll to.
        const state = context.snapshot();
        post({ type: 'jumpTo', requestId: request.requestId, entries: state.entries, targetId: request.id, highlight: request.query, hasOlder: state.hasOlder, hasNewer: false });
      }
      return;
    }
    case 'latest':
      post({ type: 'state', state: context.snapshot() });
      return;
    default:
      assertNever(request);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled history request ${JSON.stringify(value)}`);
}
