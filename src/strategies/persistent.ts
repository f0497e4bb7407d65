// 4.5.8: HTTP/1.1 persistent connections, a pool of -c, reused until the server
// closes or --max-requests-per-connection / --max-connection-age is reached.
import { http1Strategy } from './http1.js';

export const persistent = http1Strategy({
  name: 'persistent',
  traits: {
    protocol: 'http/1.1',
    reusesConnections: true,
    inFlight: 'one',
    idempotentOnly: false,
    defaultClose: 'server',
    shows: { depth: false, streams: false, http2: false },
  },
  reusable: (head) => head.keepAlive,
});
