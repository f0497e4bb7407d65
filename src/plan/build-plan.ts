// Pure: options as given (command line or scenario phase) -> a validated
// PhasePlan. Every problem is collected and reported at once.
import { ValidationError } from '../errors.js';
import { parseThreshold, type Threshold } from '../metrics/thresholds.js';
import { strategyFor, strategyProblems } from '../strategies/index.js';
import { badRequestTarget, checkHeaders, splitHeaderLines } from './headers.js';
import {
  connectionsBound,
  MAX_CONNECTIONS,
  MAX_DEPTH,
  MAX_RATE_PER_RUNNER,
  MAX_STREAMS,
  MAX_TIMER_MS,
  WORKERS_PER_CPU,
  workersBound,
  type MachineLimits,
} from './limits.js';
import { parseLocalAddresses } from './local-address.js';
import { RUN_DEFAULTS, type RunOptionsInput } from './options.js';
import { CLOSE_POLICIES, type ClosePolicy } from '../transport/close-policy.js';
import { planDns } from './dns.js';
import { parseProxy, proxyFromEnv, type ProxyPlan } from './proxy.js';
import { STRATEGY_NAMES, type LimitRange, type PhasePlan, type StrategyName, type TargetPlan } from './types.js';
import { parseAgeRangeMs, parseRequestsRange } from './lifecycle.js';
import { parseDurationMs } from '../units.js';
import { parseStages, stagesDurationMs, type Stage } from './stages.js';
import { share } from './share.js';
import { parseStartAt } from './start-at.js';
import { parseTarget } from './target.js';

export interface PlanInput {
  name: string;
  url: string;
  options: RunOptionsInput;
  /** bytes of --body-file, read by the caller */
  bodyFileBytes: Uint8Array | null;
  /** PEM text of --ca, read by the caller */
  caPem: string | null;
  /** proxy variables of the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), read by the caller */
  proxyEnv?: Record<string, string | undefined>;
  /** what this machine can do (cli/machine-limits.ts); without it only the fixed bounds are checked */
  limits?: MachineLimits;
  /** names an option in messages: "--depth" on the command line, "phases[1].depth" in a scenario */
  where: (key: keyof RunOptionsInput | 'url') => string;
  /** the clock --start-at is checked against (tests pass one); Date.now() by default */
  nowEpochMs?: number;
}

// Infinity and NaN as themselves: JSON would say null
const show = (v: unknown): string => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v)));

export { displayUrl, parseTarget } from './target.js';

export function buildPhasePlan(input: PlanInput): PhasePlan {
  const o = input.options;
  const problems: string[] = [];
  const bad = (key: keyof RunOptionsInput | 'url', expected: string, got: unknown): void => {
    problems.push(`${input.where(key)}: expected ${expected}, got ${show(got)}`);
  };
  const int = (
    key: keyof RunOptionsInput,
    fallback: number | null,
    min = 1,
    bound: Bound = { max: Number.MAX_SAFE_INTEGER, why: 'the largest exact integer' },
  ): number | null => {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      bad(key, min === 0 ? 'a whole number >= 0' : 'a positive integer', v);
      return fallback;
    }
    if (v > bound.max) {
      bad(key, `at most ${bound.max} (${bound.why})`, v);
      return fallback;
    }
    return v;
  };
  const duration = (key: keyof RunOptionsInput, fallbackMs: number | null, unit: 'ms' | 's' = 's', positive = false): number | null => {
    const v = o[key];
    if (v === undefined || v === null) return fallbackMs;
    const ms = parseDurationMs(v, unit);
    if (ms === null || (positive && ms <= 0)) {
      bad(key, `a duration${positive ? ' > 0' : ''} like 10s, 500ms or 2m`, v);
      return fallbackMs;
    }
    if (ms > MAX_TIMER_MS) {
      bad(key, `at most ${MAX_TIMER_MS} ms, about 24.8 days (the longest delay Node's timers take)`, v);
      return fallbackMs;
    }
    return ms;
  };

  // a value or a range (plan/lifecycle.ts): each connection draws its own limit in it
  const range = (key: 'maxRequestsPerConnection' | 'maxConnectionAge', parse: (v: unknown) => LimitRange | string): LimitRange | null => {
    if (o[key] === undefined || o[key] === null) return null;
    const parsed = parse(o[key]);
    if (typeof parsed === 'string') problems.push(`${input.where(key)}: ${parsed}`);
    return typeof parsed === 'string' ? null : parsed;
  };

  const target = parseTarget(input.url);
  if (typeof target === 'string') problems.push(`${input.where('url')}: ${target}`);

  const strategy = (o.strategy ?? RUN_DEFAULTS.strategy) as StrategyName;
  if (!STRATEGY_NAMES.includes(strategy)) bad('strategy', `one of ${STRATEGY_NAMES.join(', ')}`, o.strategy);
  else if (strategyFor(strategy) === undefined) problems.push(`${input.where('strategy')}: ${strategy} is not available in this build`);

  const close = (o.close ?? strategyFor(strategy)?.traits.defaultClose ?? RUN_DEFAULTS.close) as ClosePolicy;
  if (!CLOSE_POLICIES.includes(close)) bad('close', `one of ${CLOSE_POLICIES.join(', ')}`, o.close);

  const method = (o.method ?? RUN_DEFAULTS.method).toUpperCase();
  if (!/^[A-Z][A-Z0-9_-]*$/.test(method)) bad('method', 'an HTTP method such as GET or POST', o.method);

  if (o.body !== undefined && o.bodyFile !== undefined) problems.push(`${input.where('body')}: give either a body or a body file, not both`);
  const body = o.body !== undefined ? new TextEncoder().encode(o.body) : input.bodyFileBytes;

  const given = Array.isArray(o.headers) ? splitHeaderLines(o.headers) : Object.entries(o.headers ?? {}).map(([k, v]): [string, string] => [k, String(v)]);
  const checked = checkHeaders(given, body?.byteLength ?? null);
  const headers = checked.headers;
  for (const p of checked.problems) problems.push(`${input.where('headers')} ${p}`);

  const limits = input.limits ?? null;
  const workers = int(
    'workers',
    RUN_DEFAULTS.workers,
    1,
    limits !== null ? { max: workersBound(limits), why: `${WORKERS_PER_CPU} per CPU, ${limits.cpus} CPUs here` } : undefined,
  )!;
  const sockets: Bound = limits !== null ? connectionsBound(limits, workers) : { max: MAX_CONNECTIONS, why: 'one process; split the load with --runner-count' };
  const connections = int('connections', RUN_DEFAULTS.connections, 1, sockets)!;
  const fixedRate = rateOf(o.rate, o.runnerCount, (expected) => bad('rate', expected, o.rate));
  let ramp: PhasePlan['ramp'] = null;
  if (o.stages !== undefined) {
    const parsed = parseStages(o.stages, 'requests per second');
    if (isProblems(parsed)) problems.push(...parsed.map((p) => `${input.where('stages')}: ${p}`));
    else ramp = { startRate: fixedRate ?? 0, stages: parsed };
  }
  // With a ramp the plan's rate is its peak: the phase runs in the open model, at most that fast.
  const rate = ramp !== null ? Math.max(ramp.startRate, ...ramp.stages.map((s) => s.target)) : fixedRate;
  if (ramp !== null && rate === 0) problems.push(`${input.where('stages')}: the ramp never rises above 0 requests per second: expected a target > 0`);
  // a ramp's peak is bounded as --rate is
  if (ramp !== null && rate !== null && rate > 0)
    rateOf(rate, o.runnerCount, (expected) => problems.push(`${input.where('stages')}: a peak of ${show(rate)} requests per second: expected ${expected}`));
  const connectionRamp = o.connectionStages === undefined ? null : planConnectionRamp(o, connections, sockets, input.where, problems);
  let startAtEpochMs: number | null = null;
  if (o.startAt !== undefined) {
    const parsed = parseStartAt(o.startAt, input.nowEpochMs ?? Date.now());
    if (typeof parsed === 'string') problems.push(`${input.where('startAt')}: ${parsed}`);
    else startAtEpochMs = parsed;
  }
  const maxConnections = int('maxConnections', null, 1, sockets);
  const connectRate =
    o.connectRate === undefined
      ? null
      : typeof o.connectRate === 'number' && o.connectRate > 0 && Number.isFinite(o.connectRate)
        ? o.connectRate
        : (bad('connectRate', 'a number of new connections per second > 0', o.connectRate), null);
  // A connection ramp's pool has as many lanes as its peak.
  const closedConnections = connectionRamp !== null ? rampPeak(connectionRamp) : connections;
  const lanes = rate !== null ? (maxConnections ?? connections) : closedConnections;
  if (workers > lanes) problems.push(`${input.where('workers')}: ${workers} workers need at least as many connections, got ${lanes}`);

  let localAddresses: string[] = [];
  if (o.localAddress !== undefined) {
    try {
      localAddresses = parseLocalAddresses(o.localAddress);
      const absent = limits?.localAddresses ? localAddresses.filter((a) => !limits.localAddresses!.has(a)) : [];
      // Bound to an address this host does not have, every connect fails with EADDRNOTAVAIL (not port exhaustion).
      if (absent.length > 0) {
        const shown = absent.slice(0, 3).join(', ') + (absent.length > 3 ? ` and ${absent.length - 3} more` : '');
        problems.push(
          `${input.where('localAddress')}: ${shown} ${absent.length === 1 ? 'is' : 'are'} not an address of this host; expected addresses of its interfaces (ip addr) or of the loopback block 127.0.0.0/8`,
        );
      }
    } catch (err) {
      problems.push(`${input.where('localAddress')}: ${(err as Error).message.replace(/^--local-address: /, '')}`);
    }
  }

  const backendHeader = o.backendHeader ?? null;
  if (backendHeader !== null && (typeof backendHeader !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(backendHeader))) {
    bad('backendHeader', 'a header name such as X-Served-By', o.backendHeader);
  }

  const dnsRefreshMs = duration('dnsRefresh', null);
  const { dns, problems: dnsProblems } = planDns({ dns: o.dns, dnsRefreshMs, resolve: o.resolve, dnsServer: o.dnsServer }, typeof target === 'string' ? null : target);
  for (const [key, message] of dnsProblems) problems.push(`${input.where(key)}: ${message}`);

  let proxy: ProxyPlan | null = null;
  const proxyGiven = o.proxy ?? (typeof target === 'string' ? undefined : proxyFromEnv(target, input.proxyEnv ?? {}));
  if (proxyGiven !== undefined) {
    const parsed = typeof proxyGiven === 'string' ? parseProxy(proxyGiven) : 'expected a proxy URL';
    const from = o.proxy !== undefined ? input.where('proxy') : typeof target !== 'string' && target.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
    if (typeof parsed === 'string') problems.push(`${from}: ${parsed}`);
    else proxy = parsed;
  }

  const unixSocket = o.unixSocket ?? null;
  if (unixSocket !== null) {
    if (typeof unixSocket !== 'string' || unixSocket === '') bad('unixSocket', 'the path of a Unix domain socket', o.unixSocket);
    else if (proxy !== null)
      problems.push(`${input.where('unixSocket')}: a Unix socket goes to the server itself; drop ${input.where('proxy')} (or unset the proxy variables)`);
    else if (localAddresses.length > 0) problems.push(`${input.where('unixSocket')}: a Unix socket has no source address; drop ${input.where('localAddress')}`);
  }

  let page: string[] | null = null;
  if (o.page !== undefined) {
    page = (Array.isArray(o.page) ? o.page : o.page.split(',')).map((p) => p.trim()).filter((p) => p !== '');
    if (page.length === 0 || page.some(badRequestTarget))
      bad('page', 'paths starting with "/" of visible ASCII (no spaces or controls), e.g. /index.html,/a.png', o.page);
    if (rate !== null)
      problems.push(`${input.where('page')}: page mode runs in the closed model; drop ${input.where(ramp !== null ? 'stages' : 'rate')} or ${input.where('page')}`);
  }

  const intervalMs = duration('interval', null, 's', true);
  const idleTimeoutMs = duration('idleTimeout', null);
  if (intervalMs !== null) {
    const traits = strategyFor(strategy)?.traits;
    const held = (key: keyof RunOptionsInput, why: string): void => {
      problems.push(`${input.where('interval')}: ${why}; drop ${input.where(key)} or ${input.where('interval')}`);
    };
    if (traits !== undefined && !traits.reusesConnections)
      problems.push(
        `${input.where('interval')}: ${strategy} opens a connection per request, so none is held: expected a keep-alive strategy (persistent, http10-keepalive, pipeline, multiplex); pace new connections with ${input.where('connectRate')}`,
      );
    if (rate !== null) held(ramp !== null ? 'stages' : 'rate', 'held connections run in the closed model (each sends a request every interval)');
    if (page !== null) held('page', 'page mode fetches a page per iteration, not a request per interval');
    if (idleTimeoutMs !== null && idleTimeoutMs <= intervalMs)
      held('idleTimeout', `a connection is idle for up to the interval between its requests, so an idle timeout of ${idleTimeoutMs} ms would close every one`);
  }

  const thresholds: Threshold[] = [];
  for (const t of o.threshold ?? []) {
    try {
      thresholds.push(parseThreshold(t));
    } catch (err) {
      problems.push(`${input.where('threshold')}: ${(err as Error).message}`);
    }
  }

  const runnerCount = int('runnerCount', 1)!;
  const runnerIndex = int('runnerIndex', 0, 0)!;
  if (runnerIndex >= runnerCount) problems.push(`${input.where('runnerIndex')}: expected a number below --runner-count (${runnerCount}), got ${runnerIndex}`);

  const plan: PhasePlan = {
    name: input.name,
    target: typeof target === 'string' ? (parseTarget('http://invalid/') as TargetPlan) : target,
    strategy,
    connections: closedConnections,
    // With a ramp the phase lasts as long as its stages.
    durationMs:
      ramp !== null ? stagesDurationMs(ramp.stages) : connectionRamp !== null ? stagesDurationMs(connectionRamp.stages) : duration('duration', RUN_DEFAULTS.durationMs)!,
    requests: int('requests', null),
    warmupMs: duration('warmup', RUN_DEFAULTS.warmupMs)!,
    method,
    headers,
    body,
    workers,
    depth: strategyFor(strategy)?.traits.inFlight === 'depth' ? int('depth', RUN_DEFAULTS.depth, 1, DEPTH_BOUND)! : (int('depth', 1, 1, DEPTH_BOUND), 1),
    streams: int('streams', RUN_DEFAULTS.streams, 1, STREAMS_BOUND)!,
    maxRequestsPerConnection: range('maxRequestsPerConnection', parseRequestsRange),
    maxConnectionAgeMs: range('maxConnectionAge', parseAgeRangeMs),
    idleTimeoutMs,
    intervalMs,
    connectRate,
    close,
    nodelay: o.nodelay ?? RUN_DEFAULTS.nodelay,
    splitWrites: o.splitWrites ?? false,
    connectTimeoutMs: duration('connectTimeout', RUN_DEFAULTS.connectTimeoutMs, 's', true)!,
    timeoutMs: duration('timeout', RUN_DEFAULTS.timeoutMs, 's', true)!,
    tls: { insecure: o.insecure ?? false, ca: input.caPem, servername: o.servername ?? null, sessionReuse: o.tlsSessionReuse ?? false },
    unixSocket,
    backendHeader,
    dns,
    proxy,
    localAddresses,
    rate,
    ramp,
    connectionRamp,
    startAtEpochMs,
    maxConnections,
    page,
    thresholds,
    sampleIntervalMs: duration('sampleInterval', RUN_DEFAULTS.sampleIntervalMs, 'ms', true)!,
    runnerIndex,
    runnerCount,
  };
  const s = strategyFor(strategy);
  if (s !== undefined && problems.length === 0) problems.push(...strategyProblems(s, plan));
  if (runnerCount > 1 && Math.min(plan.connections, plan.maxConnections ?? Infinity) < runnerCount) {
    problems.push(`${input.where('connections')}: ${runnerCount} runners need at least as many connections, got ${plan.connections}`);
  }
  if (problems.length > 0) throw new ValidationError(problems.length === 1 ? 'invalid option' : 'invalid options', problems);
  return runnerShare(plan);
}

interface Bound {
  max: number;
  /** why this is the bound, for the message */
  why: string;
}

const DEPTH_BOUND: Bound = { max: MAX_DEPTH, why: 'requests in flight on one connection' };
const STREAMS_BOUND: Bound = { max: MAX_STREAMS, why: 'HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS is 31 bits' };

/** --rate: a finite number > 0 that one runner can schedule (a request every microsecond at most). */
function rateOf(value: unknown, runnerCount: unknown, bad: (expected: string) => void): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    bad('a finite number of requests per second > 0');
    return null;
  }
  const runners = typeof runnerCount === 'number' && Number.isInteger(runnerCount) && runnerCount > 0 ? runnerCount : 1;
  if (value / runners > MAX_RATE_PER_RUNNER) {
    bad(`at most ${MAX_RATE_PER_RUNNER * runners} (${MAX_RATE_PER_RUNNER} per runner, a request every microsecond; split the load with --runner-count)`);
    return null;
  }
  return value;
}

/**
 * --stage-connections: the closed model's open connections move from -c (0 if not given) through
 * each target. The open model (--rate, --stage) has no connection count to ramp: refused.
 */
function planConnectionRamp(o: RunOptionsInput, connections: number, sockets: Bound, where: PlanInput['where'], problems: string[]): PhasePlan['connectionRamp'] {
  const parsed = parseStages(o.connectionStages!, 'connections', true);
  if (isProblems(parsed)) {
    problems.push(...parsed.map((p) => `${where('connectionStages')}: ${p}`));
    return null;
  }
  if (o.rate !== undefined || o.stages !== undefined) {
    const open = where(o.stages !== undefined ? 'stages' : 'rate');
    problems.push(`${where('connectionStages')}: a connection ramp runs the closed model; drop ${open} (the open model) or ${where('connectionStages')}`);
    return null;
  }
  const ramp = { startConnections: o.connections === undefined ? 0 : connections, stages: parsed };
  const peak = rampPeak(ramp);
  if (peak === 0) problems.push(`${where('connectionStages')}: the ramp never rises above 0 connections: expected a target > 0`);
  else if (peak > sockets.max) problems.push(`${where('connectionStages')}: a peak of ${peak} connections: expected at most ${sockets.max} (${sockets.why})`);
  else return ramp;
  return null;
}

function rampPeak(ramp: { startConnections: number; stages: Stage[] }): number {
  return Math.max(ramp.startConnections, ...ramp.stages.map((s) => s.target));
}

function isProblems(parsed: Stage[] | string[]): parsed is string[] {
  return typeof parsed[0] === 'string';
}

/** Several machines split one load (--runner-index i --runner-count n): this runner's part. */
function runnerShare(plan: PhasePlan): PhasePlan {
  const { runnerCount: n, runnerIndex: i } = plan;
  if (n === 1) return plan;
  return {
    ...plan,
    connections: share(plan.connections, n, i),
    requests: plan.requests === null ? null : share(plan.requests, n, i),
    rate: plan.rate === null ? null : plan.rate / n,
    connectRate: plan.connectRate === null ? null : plan.connectRate / n,
    ramp: plan.ramp === null ? null : { startRate: plan.ramp.startRate / n, stages: plan.ramp.stages.map((s) => ({ ...s, target: s.target / n })) },
    maxConnections: plan.maxConnections === null ? null : share(plan.maxConnections, n, i),
    // connectionRamp stays the total: whole connections are split at each moment (run/connection-ramp.ts).
  };
}
