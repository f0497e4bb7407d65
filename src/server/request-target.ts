// What a request asks for: per-request overrides in the query string
// (?size=N&latency=MS&status=N) and the /echo-headers path.
import { STATUS_CODES } from 'node:http';
import { parseDurationMs, parseSizeBytes } from '../units.js';

export const ECHO_HEADERS_PATH = '/echo-headers';
const MAX_BODY_BYTES = 1024 ** 3;

export interface ResponsePlan {
  status: number;
  bodyBytes: number;
  latencyMs: number;
  /** answer with the request headers as the body */
  echoHeaders: boolean;
}

export interface PlanDefaults {
  bodySize: number;
  latencyMs: number;
}

/** A plan, or the text of a 400 answer naming the bad parameter. */
export type PlanResult = { plan: ResponsePlan } | { badRequest: string };

export function planResponse(target: string, defaults: PlanDefaults, defaultPlan: ResponsePlan): PlanResult {
  const queryStart = target.indexOf('?');
  const path = queryStart < 0 ? target : target.slice(0, queryStart);
  const echoHeaders = path === ECHO_HEADERS_PATH;
  // The common case allocates nothing.
  if (queryStart < 0 && !echoHeaders) return { plan: defaultPlan };
  const plan: ResponsePlan = { status: 200, bodyBytes: defaults.bodySize, latencyMs: defaults.latencyMs, echoHeaders };
  if (queryStart < 0) return { plan };
  const query = new URLSearchParams(target.slice(queryStart + 1));
  const size = query.get('size');
  if (size !== null) {
    const bytes = parseSizeBytes(size);
    if (bytes === null || bytes > MAX_BODY_BYTES) return { badRequest: `size: expected bytes 0..1g ("512", "64k"), got "${size}"` };
    plan.bodyBytes = bytes;
  }
  const latency = query.get('latency');
  if (latency !== null) {
    const ms = parseDurationMs(latency, 'ms');
    if (ms === null) return { badRequest: `latency: expected milliseconds ("20", "1.5s"), got "${latency}"` };
    plan.latencyMs = ms;
  }
  const status = query.get('status');
  if (status !== null) {
    const code = Number(status);
    if (!/^\d{3}$/.test(status) || code < 200 || code > 599) {
      return { badRequest: `status: expected a status code 200..599, got "${status}"` };
    }
    plan.status = code;
  }
  return { plan };
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

/** 204 and 304 answers never carry a body (RFC 9110 15.3.5, 15.4.5). */
export function statusHasBody(status: number): boolean {
  return status !== 204 && status !== 304;
}
