// Defaults of the built-in server and the check of options given by code.
import { UsageError } from '../errors.js';
import { FAULT_NAMES, type ServerOptions } from './types.js';

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  unix: null,
  name: null,
  port: 0,
  latencyMs: 0,
  bodySize: 13,
  keepAliveTimeoutMs: 5000,
  keepAliveMax: null,
  closeStyle: 'fin',
  chunked: false,
  http10KeepAlive: true,
  h2c: false,
  tls: null,
  maxConcurrentStreams: 100,
  faults: { truncate: 0, reset: 0, stall: 0, malformed: 0 },
  stallMs: 10_000,
  seed: null,
  capacity: null,
};

/** Defaults filled in and every value checked; throws UsageError naming the first bad option. */
export function resolveServerOptions(input: Partial<ServerOptions> = {}): ServerOptions {
  const options: ServerOptions = {
    ...DEFAULT_SERVER_OPTIONS,
    ...input,
    faults: { ...DEFAULT_SERVER_OPTIONS.faults, ...input.faults },
  };
  const problem = findProblem(options);
  if (problem) throw new UsageError(`server option ${problem}`);
  return options;
}

function isCount(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function isDurationMs(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function findProblem(o: ServerOptions): string | null {
  if (!isCount(o.port, 0) || o.port > 65535) return `port: expected an integer 0..65535, got ${o.port}`;
  if (!isDurationMs(o.latencyMs)) return `latencyMs: expected milliseconds >= 0, got ${o.latencyMs}`;
  if (!isCount(o.bodySize, 0)) return `bodySize: expected bytes >= 0, got ${o.bodySize}`;
  if (o.keepAliveTimeoutMs !== null && !(isDurationMs(o.keepAliveTimeoutMs) && o.keepAliveTimeoutMs > 0)) {
    return `keepAliveTimeoutMs: expected milliseconds > 0 or null, got ${o.keepAliveTimeoutMs}`;
  }
  if (o.keepAliveMax !== null && !isCount(o.keepAliveMax, 1)) {
    return `keepAliveMax: expected an integer >= 1 or null, got ${o.keepAliveMax}`;
  }
  if (o.closeStyle !== 'fin' && o.closeStyle !== 'rst') return `closeStyle: expected fin or rst, got ${String(o.closeStyle)}`;
  if (!isCount(o.maxConcurrentStreams, 1) || o.maxConcurrentStreams > 2 ** 31 - 1) {
    return `maxConcurrentStreams: expected an integer >= 1, got ${o.maxConcurrentStreams}`;
  }
  if (o.tls !== null && (!o.tls.cert || !o.tls.key)) return 'tls: expected both cert and key';
  for (const name of Object.keys(o.faults)) {
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      return `faults: unknown fault "${name}", expected one of ${FAULT_NAMES.join(', ')}`;
    }
  }
  let total = 0;
  for (const name of FAULT_NAMES) {
    const rate = o.faults[name];
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) return `faults.${name}: expected a rate 0..1, got ${rate}`;
    total += rate;
  }
  if (total > 1 + 1e-9) return `faults: expected rates adding up to at most 1, got ${total}`;
  if (!isDurationMs(o.stallMs)) return `stallMs: expected milliseconds >= 0, got ${o.stallMs}`;
  if (o.capacity !== null && !isCount(o.capacity, 1)) return `capacity: expected an integer >= 1 or null, got ${o.capacity}`;
  if (o.seed !== null && !Number.isInteger(o.seed)) return `seed: expected an integer or null, got ${o.seed}`;
  return null;
}
