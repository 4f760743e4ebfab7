/** What a ChatSession is given (options, join parameters) and what it reports (events). */
import type { ChatClient } from '../client/client';
import type { CompressOptions, ImageCompressor } from '../image';
import type { ConnectionState, HostMessage } from '../shared/panel-messages';
import type { SnippetMeta } from '../shared/snippet';
import type { HistoryConfig } from './session-history';

export interface JoinParameters {
  relayHost: string;
  relayPort: number;
  name: string;
  room: string;
  /** Empty or undefined: an open, unencrypted room. */
  passphrase?: string;
}

export interface ChatSessionOptions {
  /** Folder for received images (created when needed), read when an image arrives. */
  saveDir: () => string;
  /** Folder for the copies of images you send, shown inline (created when needed). */
  sentDir: () => string;
  /** Bytes of images this extension may keep per folder; the oldest it saved are deleted first. */
  saveQuotaBytes: () => number;
  /** The URL the panel loads a saved image file from (`asWebviewUri`); undefined while there is no panel. */
  imageSrc: (file: string) => string | undefined;
  /** The image compressor, created on first use. */
  compressor: () => ImageCompressor;
  /** Current image settings, read when an image is sent or received (`maxInputPixels` applies to both). */
  imageOptions: () => Partial<CompressOptions>;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /** Bytes of conversation kept for the panel; the oldest entries go first. */
  historyBytes?: number;
  /** The local history of every room (src/history); undefined: none. */
  history?: HistoryConfig;
  /** Passed to the ChatClient (tests shorten timers). */
  clientOptions?: Partial<ConstructorParameters<typeof ChatClient>[0]>;
}

/** A message from someone else, as a notification names it. */
export interface IncomingNotice {
  /** The entry's id in the conversation (for Reply). */
  id: string;
  from: string;
  /** Undefined: an image. */
  text: string | undefined;
  /** The message mentions you (`@your-name`). */
  mentionsMe: boolean;
  /** A code snippet: `text` is its code, this where it came from (the notification names the place). */
  snippet?: SnippetMeta;
}

/** The client stopped by itself after the room was joined: nothing retries; the user must join again. */
export interface SessionFailure {
  code: string;
  message: string;
  params: JoinParameters;
}

export type ChatSessionEvents = {
  /** A message for the panel. */
  post: [message: HostMessage];
  connection: [state: ConnectionState, detail: string];
  /** A live message from someone else was shown (for notifications; backlog and catch-up are not announced). */
  incoming: [notice: IncomingNotice];
  /** Emitted once per failure, after the panel and the connection state say so. */
  failed: [failure: SessionFailure];
};
