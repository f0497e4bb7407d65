// A strategy: one record of traits, its own input checks, and the opener of its
// connections. Code outside src/strategies/ reads the traits, never the name.
import type { LimitRange, PhasePlan, StrategyName } from '../plan/types.js';
import type { ClosePolicy, WireProtocol } from '../transport/close-policy.js';
import type { ConnectionFactory } from '../transport/connection.js';
import type { AddressBook } from '../transport/resolver.js';
import type { TlsSessionCache } from '../transport/tls.js';
import type { Http2Observer } from '../metrics/http2-observer.js';

/** What a strategy is, as data: the plan, the engine, the result and the report read it. */
export interface StrategyTraits {
  /** The wire protocol, which picks the close rules (transport/close-policy.ts). */
  protocol: WireProtocol;
  /** A connection carries more than one request (false: a connection per request). */
  reusesConnections: boolean;
  /** Requests in flight on one connection: one, `--depth` (pipelining) or `--streams` (HTTP/2). */
  inFlight: 'one' | 'depth' | 'streams';
  /** 4.6: only idempotent methods may be sent (pipelining). */
  idempotentOnly: boolean;
  /** The policy when --close is not given (the policies it can honour are its protocol's:
   *  transport/close-policy.ts). */
  defaultClose: ClosePolicy;
  /** What its report shows beside the common metrics. */
  shows: { depth: boolean; streams: boolean; http2: boolean };
}

/** Worker-wide state a strategy may share between its connections. */
export interface WorkerShared {
  /** TLS session tickets, when --tls-session-reuse */
  tlsSessions: TlsSessionCache | null;
  /** where HTTP/2 sessions report SETTINGS, GOAWAY, resets and streams (the worker's Recorder) */
  http2?: Http2Observer;
  /** every address of the target's name, when --dns/--resolve/--dns-server choose one per connection */
  addresses?: AddressBook | null;
}

export interface Strategy {
  name: StrategyName;
  traits: StrategyTraits;
  /** Input problems specific to this strategy beyond its traits, or none. */
  validate?(plan: PhasePlan): string[];
  /** Builds what its connections share (request bytes, TLS options) and returns the opener. */
  prepare(plan: PhasePlan, shared: WorkerShared): ConnectionFactory;
}

/** Requests in flight on one connection under a plan. */
export function inFlightPerConnection(traits: StrategyTraits, plan: Pick<PhasePlan, 'depth' | 'streams'>): number {
  switch (traits.inFlight) {
    case 'one':
      return 1;
    case 'depth':
      return plan.depth;
    case 'streams':
      return plan.streams;
  }
}

/** Requests after which the client retires a connection (each draws its own in the range), or null. */
export function requestsPerConnection(traits: StrategyTraits, plan: Pick<PhasePlan, 'maxRequestsPerConnection'>): LimitRange | null {
  return traits.reusesConnections ? plan.maxRequestsPerConnection : { min: 1, max: 1 };
}
