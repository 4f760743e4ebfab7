/** The one error type the chat client throws or rejects with; `code` is stable and kebab-case. */
export class ChatClientError extends Error {
  constructor(
    /** `closed`, `already-connected`, `outbox-full`, `too-large`, `empty`, `name-taken`, ... */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChatClientError';
  }
}

/** What connect() rejects with when close() or leave() comes before the room is joined. */
export function closedError(): ChatClientError {
  return new ChatClientError('closed', 'the chat client was closed before it joined the room');
}
