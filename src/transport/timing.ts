// The one request result type and the one clock. Timestamps are monotonic
// microseconds (floats) from performance.now(); durations are computed only
// in the recorder.
import { performance } from 'node:perf_hooks';

export function nowUs(): number {
  return performance.now() * 1000;
}

/** Set-up of a new connection; absent (null) on requests that reused one. */
export interface ConnectionTiming {
  startUs: number;
  /** 0 when no name lookup happened (the target is an address) */
  lookupEndUs: number;
  connectEndUs: number;
  /** through a forward proxy: the proxy answered CONNECT (the tunnel to the origin is up); else 0 */
  tunnelEndUs: number;
  /** 0 for cleartext */
  secureEndUs: number;
  /** the address connected to, once connected (a proxy's through a proxy, the path of a Unix socket) */
  peer?: string | null;
}

/** One request, from intended start to last byte. Objects are pooled and reused. */
export interface Exchange {
  /** index into the phase's path list (page mode) or 0 */
  pathIndex: number;
  /** open model: the scheduled start; closed model: equals issueUs */
  intendedUs: number;
  /** when the request was handed to a connection */
  issueUs: number;
  writeEndUs: number;
  firstByteUs: number;
  endUs: number;
  statusCode: number;
  /** the set-up of the connection this request opened, or null when it reused one */
  connection: ConnectionTiming | null;
  /** 1 on the first try, 2 after a retry (4.7.3) */
  attempt: number;
  /** counted (false during warmup) */
  counted: boolean;
  /** page iteration this request belongs to, or -1 */
  pageIteration: number;
  /** the address its connection goes to, for per-address counts; null when not known */
  peer: string | null;
  /** the backend that answered, from --backend-header; null without it */
  backend: string | null;
  /** how long its connection had been idle when it was written (a reused connection with nothing in
   *  flight), or -1: the keep-alive race meets requests sent on connections idle near the server's timeout */
  idleUs: number;
}

export function newExchange(): Exchange {
  return {
    pathIndex: 0,
    intendedUs: 0,
    issueUs: 0,
    writeEndUs: 0,
    firstByteUs: 0,
    endUs: 0,
    statusCode: 0,
    connection: null,
    attempt: 1,
    counted: true,
    pageIteration: -1,
    peer: null,
    backend: null,
    idleUs: -1,
  };
}

export function resetExchange(ex: Exchange): Exchange {
  ex.pathIndex = 0;
  ex.intendedUs = 0;
  ex.issueUs = 0;
  ex.writeEndUs = 0;
  ex.firstByteUs = 0;
  ex.endUs = 0;
  ex.statusCode = 0;
  ex.connection = null;
  ex.attempt = 1;
  ex.counted = true;
  ex.pageIteration = -1;
  ex.peer = null;
  ex.backend = null;
  ex.idleUs = -1;
  return ex;
}
