// 4.5.8: HTTP/1.1 persistent connections, a pool of -c, reused until the server
// closes or --max-requests-per-connection / --max-connection-age is reached.
import { http1Strategy } from './http1.js';

export const persistent = http1Strategy({
  name: 'persistent',
  versionMinor: 1,
  keepHeader: null,
  lastHeader: (plan) => (plan.close === 'server' ? 'close' : null),
  reusable: (head) => head.keepAlive,
  capacity: () => 1,
  requestsPerConnection: (plan) => plan.maxRequestsPerConnection,
});
