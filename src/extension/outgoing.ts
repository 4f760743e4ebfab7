/**
 * What this user sends, as the panel shows it: the entry of an own text or image, added as soon as the client has
 * queued it (`sending`, or `queued` while it reconnects), the "Compressing" row while the worker compresses an
 * image, and the copy of a sent image saved to be shown inline. A send that fails says why in a line. What follows
 * (deliveries, their waiters) stays in ChatSession.
 */
import path from 'node:path';
import { ChatClientError, type ChatClient } from '../client/client';
import { ImageError, type CompressedImage } from '../image';
import { ImageFormat } from '../protocol/payload';
import type { ReplyView } from '../shared/panel-messages';
import { mentionedNames } from '../shared/mentions';
import type { ChatSessionOptions } from './chat-session-types';
import type { PanelState } from './panel-state';
import type { SessionImages } from './session-images';

export interface OutgoingOptions {
  panel: PanelState;
  images: SessionImages;
  /** The session's room is sealed (its entries say so). */
  encrypted: () => boolean;
  /** The session's client now: an image whose compression outlasted its client is not sent. */
  current: () => ChatClient | undefined;
  compressor: ChatSessionOptions['compressor'];
  imageOptions: ChatSessionOptions['imageOptions'];
  /** A line for the reader: what went wrong with a send. */
  failed: (message: string) => void;
}

/** A reply: how it is sent, and the quote it shows. */
export interface OwnReply {
  send: () => string;
  replyTo: ReplyView;
}

/**
 * Sends a text on `client` (as a reply when `reply` says how) and shows it, with the members it mentions; returns
 * its id, or throws ChatClientError (empty, too large, outbox full).
 */
export function sendOwnText(client: ChatClient, text: string, options: OutgoingOptions, reply?: OwnReply): string {
  const id = reply === undefined ? client.sendText(text) : reply.send();
  const mentions = mentionedNames(text, client.members.map((member) => member.name));
  options.panel.add({
    ...(mentions.length > 0 ? { mentions } : {}),
    ...(reply !== undefined ? { replyTo: reply.replyTo } : {}),
    kind: 'text',
    id,
    from: client.name,
    own: true,
    text,
    sentAt: Date.now(),
    legacy: false,
    encrypted: options.encrypted(),
    delivery: { state: client.state === 'connected' ? 'sending' : 'queued', progress: 0 },
  });
  return id;
}

/**
 * Sends an image the worker already compressed (an attachment the user confirmed after its preview, or Send Image's)
 * and shows it; `original`, when there is one, is what opens full size. Returns its id; throws ChatClientError.
 */
export function sendCompressedImage(client: ChatClient, image: CompressedImage, options: OutgoingOptions, original?: string): string {
  const { panel } = options;
  const sentAt = Date.now();
  const id = client.sendImage({ data: image.data, width: image.width, height: image.height, format: ImageFormat.Jpeg });
  panel.add({
    kind: 'image',
    id,
    from: client.name,
    own: true,
    image: { file: undefined, width: image.width, height: image.height, bytes: image.data.length },
    sentAt,
    legacy: false,
    encrypted: options.encrypted(),
    delivery: { state: client.state === 'connected' ? 'sending' : 'queued', progress: 0 },
  });
  const sent = { id, from: client.name, sentAt, data: image.data, width: image.width, height: image.height };
  void options.images.saveSent(sent, original).then((inline) => {
    if (inline) panel.setImageFile(id, inline);
  });
  return id;
}

/**
 * Compresses an image file (in the worker), sends it on `client` and shows it. `onStage` reports progress for a
 * notification. Resolves with the message id once it is queued; throws ImageError or ChatClientError.
 */
export async function sendOwnImage(
  client: ChatClient,
  file: string,
  options: OutgoingOptions,
  onStage?: (stage: 'compressing' | 'sending') => void,
): Promise<string> {
  const { panel } = options;
  const label = path.basename(file);
  const transferId = panel.startOutgoing(`Compressing ${label}`);
  onStage?.('compressing');
  try {
    const image = await options.compressor().compressFile(file, options.imageOptions());
    if (options.current() !== client) throw new ChatClientError('not-joined', 'you left the room before the image was ready');
    const id = sendCompressedImage(client, image, options, file);
    onStage?.('sending');
    return id;
  } catch (error) {
    const message = error instanceof ImageError || error instanceof ChatClientError ? error.message : `could not send ${label}: ${String(error)}`;
    options.failed(message);
    throw error;
  } finally {
    panel.endTransfer(transferId);
  }
}
