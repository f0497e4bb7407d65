// What the four HTTP/1.x strategies share: request bytes per path, the TLS
// target, and the opener. Each strategy file states only its rules.
import { Http1Connection, type Http1Profile } from '../http1/connection.js';
import { buildRequest } from '../http1/request.js';
import { watchResponseHeader, type ResponseHead } from '../http1/response-parser.js';
import type { PhasePlan, StrategyName } from '../plan/types.js';
import { closeRule } from '../transport/close-policy.js';
import type { ConnectionFactory } from '../transport/connection.js';
import type { SocketTarget } from '../transport/socket.js';
import type { TlsTarget } from '../transport/tls.js';
import { USER_AGENT } from '../version.js';
import { inFlightPerConnection, type Strategy, type StrategyTraits, type WorkerShared } from './types.js';

export interface Http1Rules {
  name: StrategyName;
  traits: StrategyTraits;
  /** May the connection carry another request after this response? */
  reusable: (head: ResponseHead) => boolean;
}

export function paths(plan: PhasePlan): string[] {
  return plan.page ?? [plan.target.path];
}

/**
 * Where connections go: the target itself; or through a forward proxy, a CONNECT tunnel for https and the
 * proxy itself for http (whose requests then name the origin in absolute form, 4.5.6).
 */
export function socketTarget(plan: PhasePlan, shared: WorkerShared): SocketTarget {
  const { target, proxy } = plan;
  const tls = tlsTarget(plan, shared);
  if (proxy !== null && tls === null) return { host: proxy.host, port: proxy.port, tls: null };
  const tunnel = proxy === null ? null : { host: proxy.host, port: proxy.port, authorization: proxy.authorization };
  return { host: target.hostname, port: target.port, path: plan.unixSocket, tunnel, tls };
}

/** The target of each new connection: with an address book (--dns, --resolve, --dns-server), the address it
 *  picks for that connection; else always the same. */
export function targetPerConnection<T extends SocketTarget>(target: T, shared: WorkerShared): () => T {
  const book = shared.addresses ?? null;
  return book === null ? () => target : () => ({ ...target, host: book.pick() });
}

/** How to reach the target over TLS, or null in cleartext. */
export function tlsTarget(plan: PhasePlan, shared: WorkerShared): TlsTarget | null {
  const { target, tls } = plan;
  if (target.protocol !== 'https:') return null;
  return { servername: tls.servername ?? target.hostname, ca: tls.ca, insecure: tls.insecure, sessions: tls.sessionReuse ? shared.tlsSessions : null };
}

export function http1Strategy(rules: Http1Rules): Strategy {
  return {
    name: rules.name,
    traits: rules.traits,
    prepare(plan: PhasePlan, shared: WorkerShared): ConnectionFactory {
      const close = closeRule(rules.traits.protocol, plan.close);
      // Through a proxy in cleartext: absolute-form request targets, and the proxy's credentials.
      const viaProxy = plan.proxy !== null && plan.target.protocol === 'http:' ? plan.proxy : null;
      const spec = {
        method: plan.method,
        hostHeader: plan.target.hostHeader,
        versionMinor: rules.traits.protocol === 'http/1.0' ? 0 : 1,
        headers: viaProxy?.authorization ? [...plan.headers, ['Proxy-Authorization', viaProxy.authorization] as [string, string]] : plan.headers,
        body: plan.body,
        userAgent: USER_AGENT,
      } as const;
      const profile: Http1Profile = {
        requests: paths(plan).map((p) => {
          const path = viaProxy === null ? p : `http://${plan.target.hostHeader}${p}`;
          return {
            keep: buildRequest({ ...spec, path, connection: close.keepHeader }),
            last: buildRequest({ ...spec, path, connection: close.lastHeader }),
          };
        }),
        isHead: plan.method.toUpperCase() === 'HEAD',
        splitWrites: plan.splitWrites,
        nodelay: plan.nodelay,
        depth: inFlightPerConnection(rules.traits, plan),
        reusable: rules.reusable,
        close,
      };
      // --backend-header: every response of this thread reports that header's value (a worker runs one phase).
      watchResponseHeader(plan.backendHeader);
      const target = targetPerConnection(socketTarget(plan, shared), shared);
      return (id, events, localAddress) => new Http1Connection(id, events, profile, target(), localAddress);
    },
  };
}
