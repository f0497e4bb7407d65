// 4.6: up to --depth requests in flight per connection, responses matched in order;
// only idempotent requests are pipelined.
import { http1Strategy } from './http1.js';

export const pipeline = http1Strategy({
  name: 'pipeline',
  traits: {
    protocol: 'http/1.1',
    reusesConnections: true,
    inFlight: 'depth',
    idempotentOnly: true,
    defaultClose: 'server',
    shows: { depth: true, streams: false, http2: false },
  },
  reusable: (head) => head.keepAlive,
});
