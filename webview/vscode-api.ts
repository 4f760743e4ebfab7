/**
 * The webview's handle on VS Code: typed `postMessage` (only `WebviewMessage`s leave) and the per-panel state
 * VS Code keeps across hide/show and reloads (`getState`/`setState`), validated on the way back in.
 */
import type { WebviewMessage } from '../src/shared/panel-messages';

/** What survives a reload of the webview besides what the host re-sends. */
export interface PersistedState {
  draft: string;
  /** Distance from the bottom of the conversation in px; 0 = following the newest message. */
  scrollFromBottom: number;
  /** Undefined until the user toggles the member list: then the width of the panel decides. */
  membersOpen: boolean | undefined;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare function acquireVsCodeApi(): VsCodeApi;

const DRAFT_MAX_CHARS = 256 * 1024; // a draft larger than this is not a draft worth restoring

function toPersisted(value: unknown): PersistedState {
  const fallback: PersistedState = { draft: '', scrollFromBottom: 0, membersOpen: undefined };
  if (typeof value !== 'object' || value === null) return fallback;
  const v = value as Record<string, unknown>;
  return {
    draft: typeof v.draft === 'string' && v.draft.length <= DRAFT_MAX_CHARS ? v.draft : '',
    scrollFromBottom:
      typeof v.scrollFromBottom === 'number' && Number.isFinite(v.scrollFromBottom) && v.scrollFromBottom > 0
        ? v.scrollFromBottom
        : 0,
    membersOpen: typeof v.membersOpen === 'boolean' ? v.membersOpen : undefined,
  };
}

export class Host {
  readonly #api: VsCodeApi;
  #state: PersistedState;

  constructor() {
    this.#api = acquireVsCodeApi();
    this.#state = toPersisted(this.#api.getState());
  }

  get persisted(): Readonly<PersistedState> {
    return this.#state;
  }

  post(message: WebviewMessage): void {
    this.#api.postMessage(message);
  }

  persist(patch: Partial<PersistedState>): void {
    this.#state = { ...this.#state, ...patch };
    this.#api.setState(this.#state);
  }
}
