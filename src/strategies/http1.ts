// What the four HTTP/1.x strategies share: request bytes per path, the TLS
// target, and the opener. Each strategy file states only its rules.
import { Http1Connection, type Http1Profile, type Http1Target } from '../http1/connection.js';
import { buildRequest } from '../http1/request.js';
import type { ResponseHead } from '../http1/response-parser.js';
import type { PhasePlan, StrategyName } from '../plan/types.js';
import { closeRule } from '../transport/close-policy.js';
import type { ConnectionFactory } from '../transport/connection.js';
import type { TlsTarget } from '../transport/tls.js';
import { USER_AGENT } from '../version.js';
import { inFlightPerConnection, type Strategy, type StrategyTraits, type WorkerShared } from './types.js';

export interface Http1Rules {
  name: StrategyName;
  traits: StrategyTraits;
  /** May the connection carry another request after this response? */
  reusable(head: ResponseHead): boolean;
}

export function paths(plan: PhasePlan): string[] {
  return plan.page ?? [plan.target.path];
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
      const spec = {
        method: plan.method,
        hostHeader: plan.target.hostHeader,
        versionMinor: rules.traits.protocol === 'http/1.0' ? 0 : 1,
        headers: plan.headers,
        body: plan.body,
        userAgent: USER_AGENT,
      } as const;
      const profile: Http1Profile = {
        requests: paths(plan).map((path) => ({
          keep: buildRequest({ ...spec, path, connection: close.keepHeader }),
          last: buildRequest({ ...spec, path, connection: close.lastHeader }),
        })),
        isHead: plan.method.toUpperCase() === 'HEAD',
        splitWrites: plan.splitWrites,
        nodelay: plan.nodelay,
        depth: inFlightPerConnection(rules.traits, plan),
        reusable: rules.reusable,
        close,
      };
      const target: Http1Target = { host: plan.target.hostname, port: plan.target.port, path: plan.unixSocket, tls: tlsTarget(plan, shared) };
      return (id, events, localAddress) => new Http1Connection(id, events, profile, target, localAddress);
    },
  };
}
