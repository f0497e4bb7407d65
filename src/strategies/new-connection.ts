// 4.3.2 / 4.4: a TCP (and TLS) connection per request; -c 1 is serial, -c 6 browser-style parallel.
// `--close server` asks the server to close, so it keeps the TIME_WAIT; otherwise the client closes
// (or resets) first.
import { http1Strategy } from './http1.js';

export const newConnection = http1Strategy({
  name: 'new-connection',
  traits: {
    protocol: 'http/1.1',
    reusesConnections: false,
    inFlight: 'one',
    idempotentOnly: false,
    defaultClose: 'server',
    shows: { depth: false, streams: false, http2: false },
  },
  reusable: () => false,
});
