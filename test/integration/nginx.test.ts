// The HTTP/1.x strategies against a real server from Debian.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJson } from '../helpers/cli.js';
import { nginxAvailable, startNginx, type Nginx } from '../helpers/nginx.js';
import { assertValidResult } from '../helpers/schema.js';

describe.skipIf(!nginxAvailable() && !process.env.CI)('against nginx', () => {
  let nginx: Nginx;
  beforeAll(async () => {
    if (!nginxAvailable()) throw new Error('nginx is not installed: .ci/run installs nginx-light');
    nginx = await startNginx({ keepaliveRequests: 50 });
  });
  afterAll(async () => {
    await nginx?.stop();
  });

  it.each(['new-connection', 'http10-keepalive', 'persistent', 'pipeline'])('%s completes every request without errors', async (strategy) => {
    const { code, result } = await runJson(['run', `${nginx.url}/`, '-s', strategy, '-c', '4', '-n', '1000', '--depth', '8']);
    expect(code).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    expect(p.requests.completed, JSON.stringify({ errors: p.errors, retried: p.requests.retried, conns: p.connections })).toBe(1000);
    expect(p.requests.errors).toBe(0);
    expect(p.requests.byStatus).toEqual({ '200': 1000 });
    if (strategy === 'new-connection') expect(p.connections.opened).toBe(1000);
    else {
      // nginx closes a connection after keepalive_requests (50): about 1000 / 50 connections.
      expect(p.connections.opened).toBeGreaterThanOrEqual(20);
      expect(p.connections.opened).toBeLessThanOrEqual(24);
      expect(p.connections.requestsPerConnection.max).toBe(50);
    }
  });
});
