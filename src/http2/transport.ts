// Where an HTTP/2 session connects: the transport's target (host and port, or a
// Unix socket; TLS for h2, cleartext for h2c) with the authority it speaks for.
import type { SocketTarget } from '../transport/socket.js';

export interface Http2Target extends SocketTarget {
  /** `http://host:port` (h2c) or `https://host:port` (h2) */
  authority: string;
}
