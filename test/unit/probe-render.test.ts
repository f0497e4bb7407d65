// The probe table: a pure function of the result.
import { describe, expect, it } from 'vitest';
import { renderProbe, wrap } from '../../src/probe/render.js';
import type { ProbeResult } from '../../src/probe/types.js';

function fixture(): ProbeResult {
  const base = { verdict: 'yes' as const, evidence: 'ok', durationMs: 1 };
  return {
    schema: 'connload/probe@1',
    tool: { name: 'connload', version: '9.9.9' },
    target: { url: 'https://example.test/', host: 'example.test', port: 443, tls: true, path: '/' },
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 2500,
    options: { timeoutMs: 5000, idleMaxMs: 20_000, insecure: false, servername: null },
    interrupted: false,
    dns: {
      ...base,
      evidence: '2 addresses, 192.0.2.1 probed',
      addresses: [
        { address: '192.0.2.1', family: 4 },
        { address: '2001:db8::1', family: 6 },
      ],
      lookupMs: 1.5,
    },
    connect: { ...base, evidence: 'connected to 192.0.2.1 port 443', address: '192.0.2.1', port: 443, connectMs: 0.42 },
    tls: {
      ...base,
      evidence: 'TLSv1.3, TLS_AES_128_GCM_SHA256, ALPN h2, certificate verified',
      version: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      alpn: 'h2',
      handshakeMs: 3.2,
      authorized: true,
    },
    checks: {
      http11: { ...base, evidence: 'answered 200', statusCode: 200, answeredAs: 'HTTP/1.1' },
      http10: { ...base, evidence: 'answered 200 as HTTP/1.1', statusCode: 200, answeredAs: 'HTTP/1.1' },
      h2: { ...base, evidence: 'answered 200 over h2 (ALPN h2)', statusCode: 200, answeredAs: 'h2' },
      h2c: { ...base, verdict: 'n/a', evidence: 'TLS target: h2c is HTTP/2 in cleartext (see h2)', statusCode: null, answeredAs: null },
      persistent: { ...base, evidence: '2 requests answered on one connection' },
      keepAliveHeader: { ...base, evidence: 'Keep-Alive: timeout=5, max=100', value: 'timeout=5, max=100', maxRequests: 100, timeoutS: 5 },
      maxRequests: { ...base, evidence: '100 (server closed after the 100th, Connection: close)', requests: 100, limitFound: true, cap: 1000, closedBy: 'announced' },
      idleTimeout: { ...base, evidence: 'closed after 5.0s idle, by FIN', idleMs: 5003, close: 'fin', waitedUpToMs: 20_000 },
      keepAliveRace: {
        ...base,
        evidence: "all 3 requests sent 2-10 ms before the server's 5.0s idle timeout were answered",
        idleTimeoutMs: 5003,
        marginsMs: [2, 5, 10],
        answered: 3,
      },
      http10KeepAlive: { ...base, verdict: 'no', evidence: 'the response closes the connection (Connection: close)' },
      pipelining: { ...base, evidence: '3 of 3 whole, framed as sent (GET, GET, HEAD); no echo to read the order from', sent: 3, answered: 3, orderCheckedBy: 'framing' },
      halfClose: { ...base, evidence: "answered 200 after the client's FIN" },
      hopByHop: { ...base, verdict: 'unknown', evidence: 'no echo endpoint', echo: false, sent: [], arrived: [] },
    },
  };
}

const rowOf = (text: string, label: string) => text.split('\n').find((line) => line.includes(label)) ?? '';

describe('renderProbe', () => {
  it('shows measured values where a check measures one and verdicts elsewhere', () => {
    const text = renderProbe(fixture(), { colorLevel: 0, columns: 160 });
    expect(text.split('\n')[0]).toBe('connload 9.9.9 probe  https://example.test/  (2.5s)');
    expect(rowOf(text, 'max requests per connection')).toMatch(/│ 100\s+│ 100 \(server closed after the 100th, Connection: close\)/);
    expect(rowOf(text, 'idle timeout')).toMatch(/│ 5\.00s, FIN\s+│/);
    expect(rowOf(text, 'Keep-Alive header')).toMatch(/│ timeout=5, max=100\s+│/);
    expect(rowOf(text, 'HTTP/1.0 Keep-Alive honoured')).toMatch(/│ no\s+│/);
    expect(rowOf(text, 'h2c')).toMatch(/│ n\/a\s+│/);
    expect(rowOf(text, 'TLS ')).toMatch(/│ TLSv1\.3\s+│ TLSv1\.3, TLS_AES_128_GCM_SHA256, ALPN h2, certificate verified; handshake 3\.20ms/);
    expect(rowOf(text, 'DNS lookup')).toMatch(/│ 1\.50ms\s+│ lookup of example\.test/);
    expect(text).toContain('2001:db8::1');
    expect(text).not.toContain('Interrupted');
    expect(text).not.toContain('\x1b[');
  });

  it('shows lower bounds and an interrupted probe', () => {
    const r = fixture();
    r.checks.maxRequests = { ...r.checks.maxRequests, verdict: 'no', requests: 1000, limitFound: false, evidence: 'at least 1000' };
    r.checks.idleTimeout = { ...r.checks.idleTimeout, verdict: 'unknown', idleMs: null, close: null, evidence: 'longer than 20s (still open at --idle-max)' };
    r.interrupted = true;
    const text = renderProbe(r, { colorLevel: 0 });
    expect(rowOf(text, 'max requests per connection')).toMatch(/│ >= 1000\s+│/);
    expect(rowOf(text, 'idle timeout')).toMatch(/│ > 20\.00s\s+│/);
    expect(text).toContain('Interrupted: checks that had not finished say "unknown".');
  });

  it('colours verdicts only when asked', () => {
    expect(renderProbe(fixture(), { colorLevel: 1 })).toContain('\x1b[32myes');
  });
});

describe('wrap', () => {
  it('breaks at spaces within the width and keeps long words whole', () => {
    expect(wrap('aaa bbb ccc', 7)).toBe('aaa bbb\nccc');
    expect(wrap('abcdefghij k', 4)).toBe('abcdefghij\nk');
  });
});
