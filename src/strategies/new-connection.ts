// 4.3.2 / 4.4: a TCP (and TLS) connection per request; -c 1 is serial, -c 6 browser-style parallel.
import { http1Strategy } from './http1.js';

export const newConnection = http1Strategy({
  name: 'new-connection',
  versionMinor: 1,
  keepHeader: null,
  // `--close server`: ask the server to close, so it keeps the TIME_WAIT; otherwise the client closes (or resets) first.
  lastHeader: (plan) => (plan.close === 'server' ? 'close' : null),
  reusable: () => false,
  capacity: () => 1,
  requestsPerConnection: () => 1,
});
