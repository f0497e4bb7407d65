import { describe, expect, it } from 'vitest';
import { parseProxy, proxyFromEnv } from '../../src/plan/proxy.js';

describe('parseProxy', () => {
  it('reads host, port and credentials, and redacts the password', () => {
    const p = parseProxy('http://alice:s%40cret@127.0.0.1:3128');
    expect(p).toEqual({
      url: 'http://alice:redacted@127.0.0.1:3128',
      host: '127.0.0.1',
      port: 3128,
      authorization: `Basic ${Buffer.from('alice:s@cret').toString('base64')}`,
    });
  });
  it('takes host:port without a scheme, and port 80 by default', () => {
    expect(parseProxy('127.0.0.1:8888')).toMatchObject({ host: '127.0.0.1', port: 8888, authorization: null });
    expect(parseProxy('http://[::1]')).toMatchObject({ host: '::1', port: 80 });
  });
  it('says what is wrong, never with the password', () => {
    expect(parseProxy('https://127.0.0.1:3128')).toMatch(/expected an http:\/\/ proxy/);
    expect(parseProxy('http://127.0.0.1:3128/path')).toMatch(/without a path/);
    const bad = parseProxy('http://bob:hunter2@[bad');
    expect(bad).toMatch(/expected a proxy URL/);
    expect(bad).not.toContain('hunter2');
  });
});

describe('proxyFromEnv', () => {
  const http = { protocol: 'http:', hostname: 'api.example.test', port: 80 };
  const https = { protocol: 'https:', hostname: 'api.example.test', port: 443 };
  it('HTTP_PROXY for http and HTTPS_PROXY for https, lower case first', () => {
    const env = { HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:1', HTTPS_PROXY: 'http://tls:1' };
    expect(proxyFromEnv(http, env)).toBe('http://lower:1');
    expect(proxyFromEnv(https, env)).toBe('http://tls:1');
    expect(proxyFromEnv(https, { HTTP_PROXY: 'http://p:1' })).toBeUndefined();
  });
  it('NO_PROXY: *, names, domain suffixes, addresses and ports', () => {
    const env = (no: string) => ({ HTTP_PROXY: 'http://p:1', NO_PROXY: no });
    expect(proxyFromEnv(http, env('*'))).toBeUndefined();
    expect(proxyFromEnv(http, env('other.test, example.test'))).toBeUndefined();
    expect(proxyFromEnv(http, env('.example.test'))).toBeUndefined();
    expect(proxyFromEnv(http, env('api.example.test:8080'))).toBe('http://p:1');
    expect(proxyFromEnv(http, env('api.example.test:80'))).toBeUndefined();
    expect(proxyFromEnv(http, env('ample.test'))).toBe('http://p:1');
    expect(proxyFromEnv({ protocol: 'http:', hostname: '::1', port: 80 }, env('[::1]'))).toBeUndefined();
    expect(proxyFromEnv({ protocol: 'http:', hostname: '127.0.0.1', port: 80 }, env('localhost,127.0.0.1'))).toBeUndefined();
  });
});
