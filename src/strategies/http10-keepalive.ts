// 4.5.2-4.5.5: HTTP/1.0 with `Connection: Keep-Alive`. A connection is reused only
// when the response also says Keep-Alive and has a known length.
import { http1Strategy } from './http1.js';

const KEEP_ALIVE_TOKEN = /(?:^|,)\s*keep-alive\s*(?:,|$)/i;

export const http10KeepAlive = http1Strategy({
  name: 'http10-keepalive',
  traits: {
    protocol: 'http/1.0',
    reusesConnections: true,
    inFlight: 'one',
    idempotentOnly: false,
    defaultClose: 'server',
    shows: { depth: false, streams: false, http2: false },
  },
  reusable: (head) => head.bodyKind !== 'close' && head.connectionHeader !== null && KEEP_ALIVE_TOKEN.test(head.connectionHeader),
});
