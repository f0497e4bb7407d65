// The HTTP/2 client session without the CLI, against the built-in server: a
// stream's timeline (writeEnd <= firstByte <= end, as HTTP/1), the session's
// PING round trip handed to the observer, and its stream limit from SETTINGS.
import { afterEach, describe, expect, it } from 'vitest';
import { Http2ClientSession, type Http2ClientProfile } from '../../src/http2/client-session.js';
import { encodeStatelessBlock } from '../../src/http2/hpack/encoder.js';
import { IGNORE_HTTP2, type Http2Observer } from '../../src/metrics/http2-observer.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { closeRule } from '../../src/transport/close-policy.js';
import type { Connection, ConnectionEvents } from '../../src/transport/connection.js';
import { newExchange, nowUs, type Exchange } from '../../src/transport/timing.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function profile(streams: number): Http2ClientProfile {
  const block = encodeStatelessBlock([
    [':method', 'GET'],
    [':scheme', 'http'],
    [':authority', 'localhost'],
    [':path', '/'],
  ]);
  return { blocks: [block], plainBytes: [0], body: null, streamsAsked: streams, nodelay: true, close: closeRule('h2', 'client'), settingsAckTimeoutUs: 10_000_000 };
}

interface Seen {
  connected: Promise<void>;
  responses: Exchange[];
  allDone: Promise<void>;
  closed: Promise<string>;
}

function events(expected: number): { events: ConnectionEvents; seen: Seen } {
  let connected!: () => void;
  let done!: () => void;
  let closed!: (how: string) => void;
  const seen: Seen = {
    connected: new Promise((r) => (connected = r)),
    responses: [],
    allDone: new Promise((r) => (done = r)),
    closed: new Promise((r) => (closed = r)),
  };
  return {
    seen,
    events: {
      onConnected: () => connected(),
      onConnectFailed: (_c, code) => closed(`failed ${code}`),
      onResponse: (_c: Connection, ex: Exchange) => {
        seen.responses.push(ex);
        if (seen.responses.length === expected) done();
      },
      onRequestFailed: (_c, _ex, code) => closed(`request failed ${code}`),
      onClosed: (_c, kind, code) => closed(`${kind} ${code}`),
    },
  };
}

function exchange(): Exchange {
  const ex = newExchange();
  ex.issueUs = ex.intendedUs = nowUs();
  return ex;
}

describe('Http2ClientSession', () => {
  it('times each stream as HTTP/1 is timed, reports the PING round trip, and closes by the rule', async () => {
    const server = await startServer({ h2c: true, latencyMs: 5 });
    servers.push(server);
    const rtts: number[] = [];
    const observer: Http2Observer = { ...IGNORE_HTTP2, rtt: (us) => rtts.push(us) };
    const { events: ev, seen } = events(3);
    const session = new Http2ClientSession(1, ev, profile(10), observer, { authority: server.url, host: '127.0.0.1', port: server.port, tls: null }, undefined);
    await seen.connected;
    for (let i = 0; i < 3; i++) session.send(exchange(), i === 2);
    expect(session.inFlight).toBe(3);
    await seen.allDone;
    for (const ex of seen.responses) {
      expect(ex.statusCode).toBe(200);
      expect(ex.writeEndUs).toBeGreaterThan(0);
      expect(ex.firstByteUs).toBeGreaterThanOrEqual(ex.writeEndUs);
      expect(ex.endUs).toBeGreaterThanOrEqual(ex.firstByteUs);
    }
    expect(session.responses).toBe(3);
    expect(rtts.length).toBeGreaterThanOrEqual(1);
    expect(rtts[0]).toBeGreaterThan(0);
    session.retire('last');
    expect(await seen.closed).toBe('client null');
    expect(server.stats().requests).toBe(3);
  });

  it("takes the stream limit from the server's SETTINGS_MAX_CONCURRENT_STREAMS", async () => {
    const server = await startServer({ h2c: true, maxConcurrentStreams: 2, latencyMs: 20 });
    servers.push(server);
    const { events: ev, seen } = events(4);
    const session = new Http2ClientSession(1, ev, profile(10), IGNORE_HTTP2, { authority: server.url, host: '127.0.0.1', port: server.port, tls: null }, undefined);
    await seen.connected;
    session.send(exchange(), false);
    session.send(exchange(), false);
    expect(session.canSend()).toBe(false);
    session.send(exchange(), false); // beyond the limit: waits on the session, not refused by the server
    session.send(exchange(), true);
    await seen.allDone;
    expect(server.stats().peakStreamsPerSession).toBe(2);
    session.destroy('stopped');
  });
});
