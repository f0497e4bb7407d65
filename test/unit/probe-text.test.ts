// The probe's pure pieces: reading echoes, wording, bounds, and the table.
import { describe, expect, it } from 'vitest';
import { arrivedHeaders } from '../../src/probe/hop-by-hop.js';
import { closeReason } from '../../src/probe/persistence.js';
import { echoedSeq } from '../../src/probe/pipelining.js';
import { probeBoundMs, SEQUENTIAL_CHECKS } from '../../src/probe/probe.js';
import { ordinal } from '../../src/probe/requests.js';
import type { ResponseSummary } from '../../src/probe/conversation.js';

const MARKER = 'X-Connload-Probe: end-to-end';

describe('arrivedHeaders', () => {
  it('is null when the body is no echo of the request headers', () => {
    expect(arrivedHeaders('hello world\n')).toBeNull();
    expect(arrivedHeaders('Keep-Alive: timeout=7, max=77\n')).toBeNull();
  });

  it('reads plain "Name: value" lines, any case', () => {
    const body = [MARKER, 'connection: close, TE, X-Connload-Hop', 'x-connload-hop: probe-hop', 'KEEP-ALIVE: timeout=7, max=77', 'TE: trailers'].join('\n');
    expect(arrivedHeaders(body)).toEqual(['Connection', 'X-Connload-Hop', 'Keep-Alive', 'TE']);
  });

  it('reads JSON echoes (httpbin-style)', () => {
    const body = JSON.stringify({ headers: { 'X-Connload-Probe': 'end-to-end', 'X-Connload-Hop': 'probe-hop', Host: 'a' } });
    expect(arrivedHeaders(body)).toEqual(['X-Connload-Hop']);
  });

  it("does not take a proxy's own Connection or Keep-Alive for ours", () => {
    const body = [MARKER, 'Connection: close', 'Keep-Alive: timeout=5', 'TE: gzip'].join('\n');
    expect(arrivedHeaders(body)).toEqual([]);
  });

  it('does not take a header whose name only ends like ours', () => {
    expect(arrivedHeaders([MARKER, 'X-Forwarded-TE: trailers', 'Proxy-Connection: close, TE, X-Connload-Hop'].join('\n'))).toEqual([]);
  });
});

describe('echoedSeq', () => {
  it('finds the sequence header in lines or JSON, or says null', () => {
    expect(echoedSeq('Host: a\nX-Connload-Seq: 2\n')).toBe(2);
    expect(echoedSeq('{"x-connload-seq":"3"}')).toBe(3);
    expect(echoedSeq('ok')).toBeNull();
  });
});

describe('wording', () => {
  it('ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 100, 101, 112].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '100th', '101st', '112th']);
  });

  it('why a response ends its connection', () => {
    const r = (over: Partial<ResponseSummary>): ResponseSummary => ({
      statusCode: 200,
      versionMinor: 1,
      keepAlive: false,
      connectionHeader: null,
      keepAliveHeader: null,
      keepAliveMax: null,
      keepAliveTimeoutS: null,
      bodyBytes: 0,
      text: '',
      completedMs: 0,
      ...over,
    });
    expect(closeReason(r({ connectionHeader: 'close' }))).toBe('Connection: close');
    expect(closeReason(r({ versionMinor: 0 }))).toBe('HTTP/1.0 without Connection: keep-alive');
    expect(closeReason(r({}))).toBe('body delimited by the close');
  });
});

describe('probeBoundMs', () => {
  it('is DNS and connect plus the longer of the sequential checks and the idle wait', () => {
    expect(SEQUENTIAL_CHECKS).toHaveLength(11);
    expect(probeBoundMs(5000, 20_000)).toBe(2 * 5000 + 11 * 5000);
    // the idle check, then the keep-alive race check on its measured timeout
    expect(probeBoundMs(1000, 60_000)).toBe(2 * 1000 + 3 * 1000 + 2 * 60_000);
  });
});
