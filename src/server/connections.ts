// Accepted connections: who closed each one (server or client), how the server
// closes (FIN or RST), and shutting all of them down when the server stops.
import type { Socket } from 'node:net';
import type { ServerStatsRecorder } from './stats.js';
import type { CloseStyle } from './types.js';

/** After our FIN, a client that never closes its side is dropped after this. */
const HALF_CLOSED_LINGER_MS = 5000;
/** At server close, connections still open after this are destroyed. */
const SHUTDOWN_GRACE_MS = 1000;

export interface TrackedConnection {
  /** the TCP socket (under TLS, the one the TLS socket wraps) */
  readonly raw: Socket;
  /** the server started closing it */
  serverClosing: boolean;
  /** set by the protocol handler: close this connection because the server stops */
  shutdown: (() => void) | null;
}

export class ConnectionRegistry {
  private readonly open = new Set<TrackedConnection>();
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly stats: ServerStatsRecorder) {}

  accept(raw: Socket): TrackedConnection {
    const connection: TrackedConnection = { raw, serverClosing: false, shutdown: null };
    this.open.add(connection);
    this.stats.connectionOpened();
    raw.on('error', () => {}); // a client's RST is counted at 'close', not thrown
    raw.once('close', () => {
      this.open.delete(connection);
      this.stats.connectionClosed(connection.serverClosing);
      if (this.open.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
    return connection;
  }

  /** Closes every connection (handlers first, gracefully); resolves when none is left. */
  async shutdownAll(): Promise<void> {
    for (const connection of this.open) {
      connection.serverClosing = true;
      if (connection.shutdown) connection.shutdown();
      else connection.raw.destroy();
    }
    if (this.open.size === 0) return;
    const stragglers = setTimeout(() => {
      for (const connection of this.open) connection.raw.destroy();
    }, SHUTDOWN_GRACE_MS);
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    clearTimeout(stragglers);
  }
}

/**
 * Closes `socket` (a TCP or TLS socket on `connection`) the given way, after any
 * writes already queued. FIN: end(), then drop the socket if the client never
 * closes its side. RST: SO_LINGER 0 on the TCP socket (socket.resetAndDestroy()).
 */
export function closeConnection(connection: TrackedConnection, socket: Socket, style: CloseStyle): void {
  connection.serverClosing = true;
  if (style === 'rst') {
    resetConnection(connection, socket);
    return;
  }
  if (socket.destroyed) return;
  socket.end();
  const linger = setTimeout(() => socket.destroy(), HALF_CLOSED_LINGER_MS);
  socket.once('close', () => clearTimeout(linger));
}

export function resetConnection(connection: TrackedConnection, socket: Socket): void {
  connection.serverClosing = true;
  if (!connection.raw.destroyed) connection.raw.resetAndDestroy();
  if (socket !== connection.raw) socket.destroy();
}
