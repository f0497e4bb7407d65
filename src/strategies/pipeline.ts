// 4.6: up to --depth requests in flight per connection, responses matched in order.
import { http1Strategy, requireIdempotent } from './http1.js';

export const pipeline = http1Strategy({
  name: 'pipeline',
  versionMinor: 1,
  keepHeader: null,
  lastHeader: (plan) => (plan.close === 'server' ? 'close' : null),
  reusable: (head) => head.keepAlive,
  capacity: (plan) => plan.depth,
  requestsPerConnection: (plan) => plan.maxRequestsPerConnection,
  validate: (plan) => requireIdempotent(plan, 'pipeline'),
});
