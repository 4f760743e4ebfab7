/** The client's UDP socket: where the relay is, and binding that settles however it ends. */
import type dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';

/** The relay's address, IPv4 first: "localhost" may resolve to ::1 while the relay listens on 0.0.0.0. */
export async function resolveRelay(host: string): Promise<{ address: string; family: number }> {
  return lookup(host, { family: 4 }).catch(() => lookup(host));
}

/**
 * Binds `socket` to an ephemeral port. Rejects with the bind error (closing the socket), or with `closedError()`
 * when the socket is closed before the bind completes: the promise settles either way.
 */
export function bindSocket(socket: dgram.Socket, bindAddress: string | undefined, closedError: () => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socketOnBindError = (error: Error): void => {
      socket.off('close', socketOnCloseWhileBinding);
      socket.close();
      reject(error);
    };
    const socketOnCloseWhileBinding = (): void => {
      socket.off('error', socketOnBindError);
      reject(closedError());
    };
    socket.once('error', socketOnBindError);
    socket.once('close', socketOnCloseWhileBinding);
    socket.bind(0, bindAddress, () => {
      socket.off('error', socketOnBindError);
      socket.off('close', socketOnCloseWhileBinding);
      resolve();
    });
  });
}
