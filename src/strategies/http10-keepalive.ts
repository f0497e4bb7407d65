// 4.5.2-4.5.5: HTTP/1.0 with `Connection: Keep-Alive`. A connection is reused only
// when the response also says Keep-Alive and has a known length.
import { http1Strategy } from './http1.js';

const KEEP_ALIVE_TOKEN = /(?:^|,)\s*keep-alive\s*(?:,|$)/i;

export const http10KeepAlive = http1Strategy({
  name: 'http10-keepalive',
  versionMinor: 0,
  keepHeader: 'Keep-Alive',
  // HTTP/1.0 closes by default: leaving the header off asks the server to close.
  lastHeader: (plan) => (plan.close === 'server' ? null : 'Keep-Alive'),
  reusable: (head) => head.bodyKind !== 'close' && head.connectionHeader !== null && KEEP_ALIVE_TOKEN.test(head.connectionHeader),
  capacity: () => 1,
  requestsPerConnection: (plan) => plan.maxRequestsPerConnection,
});
