/**
 * States that the client, the extension host and the webview all name. Types only: compiled into both the
 * extension and the webview.
 */

/** The chat client's lifecycle: from `connect()` until it is closed. */
export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** What the panel and status bar show: a client's state, or no client at all. */
export type ConnectionState = 'disconnected' | ClientState;

/** A sent message's way to the relay. */
export type DeliveryState = 'queued' | 'sending' | 'delivered' | 'failed';
