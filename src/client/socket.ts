/** The client's UDP socket: where the relay is, the socket itself, and binding that settles however it ends. */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';

/** Socket receive buffer (bytes): a window of 256 full datagrams arriving at once fits without loss. */
const RECEIVE_BUFFER_BYTES = 1 << 20;

/** The relay's address, IPv4 first: "localhost" may resolve to ::1 while the relay listens on 0.0.0.0. */
export async function resolveRelay(host: string): Promise<{ address: string; family: number }> {
  return lookup(host, { family: 4 }).catch(() => lookup(host));
}

/** An unbound UDP socket of the relay address's family (4 or 6). */
export function createClientSocket(family: number): dgram.Socket {
  return dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
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
