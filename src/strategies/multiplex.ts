// 4.3.2 taken to HTTP/2: -c sessions, each with up to --streams concurrent
// streams (capped by the server's SETTINGS_MAX_CONCURRENT_STREAMS). h2 by ALPN
// for https URLs, h2c with prior knowledge for http URLs.
import { Http2ClientSession, type Http2ClientProfile, type Http2Target } from '../http2/client-session.js';
import { encodeStatelessBlock } from '../http2/hpack/encoder.js';
import { IGNORE_HTTP2 } from '../metrics/http2-observer.js';
import { buildStreamHeaders } from '../http2/request-headers.js';
import type { PhasePlan } from '../plan/types.js';
import { closeRule } from '../transport/close-policy.js';
import type { ConnectionFactory } from '../transport/connection.js';
import { USER_AGENT } from '../version.js';
import { paths, socketTarget, targetPerConnection } from './http1.js';
import type { Strategy, WorkerShared } from './types.js';

export const multiplex: Strategy = {
  name: 'multiplex',
  traits: {
    protocol: 'h2',
    reusesConnections: true,
    inFlight: 'streams',
    idempotentOnly: false,
    // HTTP/2 cannot honour `server` (transport/close-policy.ts): the client closes a retired session.
    defaultClose: 'client',
    shows: { depth: false, streams: true, http2: true },
  },
  // h2 goes through a proxy's CONNECT tunnel; h2c (prior knowledge) has no absolute form to send to one.
  validate: (plan) =>
    plan.proxy === null || plan.target.protocol === 'https:'
      ? []
      : [
          `--strategy multiplex sends h2c to the server itself, not through a forward proxy (${plan.proxy.url}): use an https URL (h2 through a CONNECT tunnel), set NO_PROXY for this host, or use an HTTP/1.x strategy`,
        ],
  prepare(plan: PhasePlan, shared: WorkerShared): ConnectionFactory {
    const { target } = plan;
    const secure = target.protocol === 'https:';
    const fields = paths(plan).map((path) =>
      buildStreamHeaders({
        method: plan.method,
        scheme: secure ? 'https' : 'http',
        authority: target.hostHeader,
        path,
        headers: plan.headers,
        bodyBytes: plan.body?.byteLength ?? null,
        userAgent: USER_AGENT,
      }),
    );
    const profile: Http2ClientProfile = {
      // Encoded once per path; no dynamic-table state, so the same bytes are valid on every stream.
      blocks: fields.map(encodeStatelessBlock),
      // What the same fields take as HTTP/1 text lines ("name: value" CRLF), for header compression.
      plainBytes: fields.map((f) => f.reduce((n, [name, value]) => n + Buffer.byteLength(name) + Buffer.byteLength(value) + 4, 0)),
      body: plan.body === null ? null : Buffer.from(plan.body),
      streamsAsked: plan.streams,
      nodelay: plan.nodelay,
      close: closeRule('h2', plan.close),
      settingsAckTimeoutUs: plan.timeoutMs * 1000,
    };
    const host = target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname;
    const h2Target: Http2Target = { ...socketTarget(plan, shared), authority: `${target.protocol}//${host}:${target.port}` };
    const observer = shared.http2 ?? IGNORE_HTTP2;
    const targetOfNext = targetPerConnection(h2Target, shared);
    return (id, events, localAddress) => new Http2ClientSession(id, events, profile, observer, targetOfNext(), localAddress);
  },
};
