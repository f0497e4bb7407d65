// The plan in words and as the data the result shows: the line printed before a
// phase runs, and the facts metrics/ needs (plain data, from the plan and the
// strategy's traits: no decision by a strategy's name).
import { redactHeaders, redactUrl } from '../metrics/redact.js';
import type { PhaseFacts } from '../metrics/summary.js';
import { traitsOf } from '../strategies/index.js';
import { formatRange, rangeOption } from './lifecycle.js';
import { formatStages } from './stages.js';
import type { PhasePlan } from './types.js';
import { formatMs } from '../units.js';

/** `pooled: persistent, 4 connections, 200 requests or 10s, close client -> GET http://...` */
export function describePlan(plan: PhasePlan): string {
  const { shows, reusesConnections } = traitsOf(plan.strategy);
  const rate = plan.ramp !== null ? `ramp ${formatStages(plan.ramp.startRate, plan.ramp.stages)} req/s` : `${plan.rate} req/s`;
  const closed =
    plan.connectionRamp !== null
      ? `ramp ${formatStages(plan.connectionRamp.startConnections, plan.connectionRamp.stages)} connections`
      : connectionsText(plan.connections);
  const load =
    plan.rate !== null
      ? `${rate} (open model, up to ${connectionsText(plan.maxConnections ?? plan.connections)})`
      : plan.intervalMs !== null
        ? `${connectionsText(plan.connections)} held, a request every ${formatMs(plan.intervalMs)} on each`
        : closed;
  const stop = [plan.requests !== null ? `${plan.requests} requests` : null, `${plan.durationMs / 1000}s`].filter(Boolean).join(' or ');
  const extra = [
    shows.depth ? `depth ${plan.depth}` : null,
    shows.streams ? `${plan.streams} streams` : null,
    plan.page ? `page of ${plan.page.length}` : null,
    plan.warmupMs > 0 ? `warmup ${plan.warmupMs / 1000}s` : null,
    plan.workers > 1 ? `${plan.workers} workers` : null,
    // a range: each connection draws its own limit in it
    reusesConnections && plan.maxRequestsPerConnection !== null ? `retire after ${formatRange(plan.maxRequestsPerConnection)} requests` : null,
    reusesConnections && plan.maxConnectionAgeMs !== null ? `retire at age ${formatRange(plan.maxConnectionAgeMs, formatMs)}` : null,
    `close ${plan.close}`,
    plan.startAtEpochMs !== null ? `starts at ${new Date(plan.startAtEpochMs).toISOString()}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  return `${plan.name}: ${plan.strategy}, ${load}, ${stop}, ${extra} -> ${plan.method} ${plan.target.url}`;
}

/** The options a reader needs to reproduce the phase; secrets redacted. */
export function describeOptions(plan: PhasePlan): Record<string, unknown> {
  const shows = traitsOf(plan.strategy).shows;
  return {
    url: redactUrl(plan.target.url),
    connections: plan.connections,
    durationMs: plan.durationMs,
    requests: plan.requests,
    warmupMs: plan.warmupMs,
    method: plan.method,
    headers: Object.fromEntries(redactHeaders(plan.headers)),
    bodyBytes: plan.body?.byteLength ?? 0,
    workers: plan.workers,
    depth: shows.depth ? plan.depth : undefined,
    streams: shows.streams ? plan.streams : undefined,
    maxRequestsPerConnection: rangeOption(plan.maxRequestsPerConnection),
    maxConnectionAgeMs: rangeOption(plan.maxConnectionAgeMs),
    idleTimeoutMs: plan.idleTimeoutMs ?? undefined,
    connectRate: plan.connectRate ?? undefined,
    intervalMs: plan.intervalMs ?? undefined,
    close: plan.close,
    nodelay: plan.nodelay,
    splitWrites: plan.splitWrites,
    connectTimeoutMs: plan.connectTimeoutMs,
    timeoutMs: plan.timeoutMs,
    insecure: plan.tls.insecure,
    tlsSessionReuse: plan.tls.sessionReuse,
    localAddresses: plan.localAddresses,
    unixSocket: plan.unixSocket ?? undefined,
    proxy: plan.proxy?.url,
    rate: plan.rate,
    // With a connection ramp `connections` is its peak; the ramp itself, in total over runners.
    connectionRamp:
      plan.connectionRamp === null
        ? undefined
        : { startConnections: plan.connectionRamp.startConnections, stages: plan.connectionRamp.stages.map((s) => ({ durationMs: s.durationMs, target: s.target })) },
    maxConnections: plan.maxConnections,
    page: plan.page,
    runnerIndex: plan.runnerIndex,
    runnerCount: plan.runnerCount,
  };
}

/** What metrics/ needs to know of the phase to build its result. */
export function phaseFacts(plan: PhasePlan): PhaseFacts {
  const traits = traitsOf(plan.strategy);
  return {
    name: plan.name,
    strategy: plan.strategy,
    options: describeOptions(plan),
    secure: plan.target.protocol === 'https:',
    http2StreamsAsked: traits.shows.http2 ? plan.streams : null,
    reusesConnections: traits.reusesConnections,
    close: plan.close,
    // 0 when the OS picks the source: tcp_tw_reuse does not help sockets bound to a --local-address.
    localAddresses: plan.localAddresses.length,
    thresholds: plan.thresholds,
    backendHeader: plan.backendHeader,
    held: plan.intervalMs === null ? null : { intervalMs: plan.intervalMs, connections: plan.connections },
  };
}

/** "1 connection", "10 connections" */
function connectionsText(n: number): string {
  return `${n} connection${n === 1 ? '' : 's'}`;
}
