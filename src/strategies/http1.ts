// What the four HTTP/1.x strategies share: request bytes per path, the TLS
// target, and the opener. Each strategy file states only its rules.
import { Http1Connection, type Http1Profile, type Http1Target } from '../http1/connection.js';
import { buildRequest, isIdempotent } from '../http1/request.js';
import type { ResponseHead } from '../http1/response-parser.js';
import type { PhasePlan, StrategyName } from '../plan/types.js';
import { USER_AGENT } from '../version.js';
import type { ConnectionFactory, Strategy, WorkerShared } from './types.js';

export interface Http1Rules {
  name: StrategyName;
  versionMinor: 0 | 1;
  /** Connection header of an ordinary request. */
  keepHeader: string | null;
  /** Connection header of the last request on a connection, by close policy. */
  lastHeader(plan: PhasePlan): string | null;
  reusable(head: ResponseHead): boolean;
  capacity(plan: PhasePlan): number;
  requestsPerConnection(plan: PhasePlan): number | null;
  validate?(plan: PhasePlan): string[];
}

export function paths(plan: PhasePlan): string[] {
  return plan.page ?? [plan.target.path];
}

export function http1Target(plan: PhasePlan, shared: WorkerShared): Http1Target {
  const { target, tls } = plan;
  return {
    host: target.hostname,
    port: target.port,
    tls: target.protocol === 'https:'
      ? { servername: tls.servername ?? target.hostname, ca: tls.ca, insecure: tls.insecure, sessions: tls.sessionReuse ? shared.tlsSessions : null }
      : null,
  };
}

export function http1Strategy(rules: Http1Rules): Strategy {
  return {
    name: rules.name,
    capacity: rules.capacity,
    requestsPerConnection: rules.requestsPerConnection,
    validate: (plan) => rules.validate?.(plan) ?? [],
    prepare(plan: PhasePlan, shared: WorkerShared): ConnectionFactory {
      const spec = {
        method: plan.method,
        hostHeader: plan.target.hostHeader,
        versionMinor: rules.versionMinor,
        headers: plan.headers,
        body: plan.body,
        userAgent: USER_AGENT,
      };
      const lastHeader = rules.lastHeader(plan);
      const profile: Http1Profile = {
        requests: paths(plan).map((path) => ({
          keep: buildRequest({ ...spec, path, connection: rules.keepHeader }),
          last: buildRequest({ ...spec, path, connection: lastHeader }),
        })),
        isHead: plan.method.toUpperCase() === 'HEAD',
        splitWrites: plan.splitWrites,
        nodelay: plan.nodelay,
        depth: rules.capacity(plan),
        reusable: rules.reusable,
      };
      const target = http1Target(plan, shared);
      return (id, events, localAddress) => new Http1Connection(id, events, profile, target, localAddress);
    },
  };
}

/** 4.6: pipelining is only for idempotent requests. */
export function requireIdempotent(plan: PhasePlan, strategy: string): string[] {
  return isIdempotent(plan.method)
    ? []
    : [`--strategy ${strategy} sends only idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS): ${plan.method} cannot be pipelined; use --strategy persistent`];
}
