// `connload probe`: what a server does with connections. The name is looked up
// and one connection made first (failure: exit 3); then every check runs on
// connections of its own, one after another, except the idle check, which
// spends its time waiting and so runs beside the others.
import net from 'node:net';
import { UsageError } from '../errors.js';
import { parseTarget } from '../plan/target.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { checkConnect, checkDns } from './address.js';
import { checkHalfClose } from './half-close.js';
import { checkHopByHop } from './hop-by-hop.js';
import { checkH2, checkH2c } from './http2.js';
import { checkIdleTimeout } from './idle.js';
import { checkKeepAliveRace, RACE_MARGINS_MS } from './keepalive-race.js';
import { checkMaxRequests, MAX_REQUESTS_CAP } from './max-requests.js';
import { checkHttp10KeepAlive, checkKeepAliveHeader, checkPersistent } from './persistence.js';
import { checkPipelining } from './pipelining.js';
import { nowMs, type ProbeContext, type ProbeTarget } from './target.js';
import { PROBE_SCHEMA_ID, type CheckBase, type CheckName, type ProbeChecks, type ProbeResult } from './types.js';
import { checkHttp10, checkHttp11 } from './versions.js';
import { describeOpenError, OpenError } from './wire.js';

export interface ProbeOptions {
  url: string;
  timeoutMs: number;
  idleMaxMs: number;
  insecure: boolean;
  /** PEM text of --ca */
  caPem: string | null;
  servername: string | null;
  signal: AbortSignal;
  /** called once the target answered the first connection */
  onReachable?: (address: string) => void;
  /** called as each check starts, for a progress line */
  onCheck?: (name: CheckName, index: number, total: number) => void;
}

type CheckRun<K extends CheckName> = (ctx: ProbeContext) => Promise<Omit<ProbeChecks[K], 'durationMs'>>;
type Blanks = { [K in CheckName]: Omit<ProbeChecks[K], keyof CheckBase> };

/** The checks that need only the target; keepAliveRace also needs the idle check's result (runProbe). */
type IndependentCheck = Exclude<CheckName, 'keepAliveRace'>;

const RUNS: { [K in IndependentCheck]: CheckRun<K> } = {
  http11: checkHttp11,
  http10: checkHttp10,
  h2: checkH2,
  h2c: checkH2c,
  persistent: checkPersistent,
  keepAliveHeader: checkKeepAliveHeader,
  maxRequests: (ctx) => checkMaxRequests(ctx),
  idleTimeout: checkIdleTimeout,
  http10KeepAlive: checkHttp10KeepAlive,
  pipelining: checkPipelining,
  halfClose: checkHalfClose,
  hopByHop: checkHopByHop,
};

/** The data fields of each check when it could not run. */
const BLANKS: Blanks = {
  http11: { statusCode: null, answeredAs: null },
  http10: { statusCode: null, answeredAs: null },
  h2: { statusCode: null, answeredAs: null },
  h2c: { statusCode: null, answeredAs: null },
  persistent: {},
  keepAliveHeader: { value: null, maxRequests: null, timeoutS: null },
  maxRequests: { requests: null, limitFound: false, cap: MAX_REQUESTS_CAP, closedBy: null },
  idleTimeout: { idleMs: null, close: null, waitedUpToMs: 0 },
  keepAliveRace: { idleTimeoutMs: null, marginsMs: RACE_MARGINS_MS, answered: 0 },
  http10KeepAlive: {},
  pipelining: { sent: 3, answered: 0, orderCheckedBy: 'framing' },
  halfClose: {},
  hopByHop: { echo: false, sent: [], arrived: [] },
};

/** Every check a probe runs. */
export const CHECK_NAMES = Object.keys(BLANKS) as CheckName[];

/** Run one after another, in this order; the idle check runs beside them. */
export const SEQUENTIAL_CHECKS: IndependentCheck[] = [
  'http11',
  'http10',
  'h2',
  'h2c',
  'persistent',
  'keepAliveHeader',
  'maxRequests',
  'http10KeepAlive',
  'pipelining',
  'halfClose',
  'hopByHop',
];

/** Upper bound of a whole probe: DNS and connect, then the sequential checks (the idle check runs beside them). */
export function probeBoundMs(timeoutMs: number, idleMaxMs: number): number {
  // Beside the sequential checks: the idle check (an answer, then up to --idle-max), then the race check
  // on its timeout (an answer, up to --idle-max idle, another answer).
  return 2 * timeoutMs + Math.max(SEQUENTIAL_CHECKS.length * timeoutMs, 3 * timeoutMs + 2 * idleMaxMs);
}

export async function runProbe(options: ProbeOptions): Promise<ProbeResult> {
  const plan = parseTarget(options.url);
  if (typeof plan === 'string') throw new UsageError(`url: ${plan}`);
  const startedAt = new Date().toISOString();
  const startMs = nowMs();
  const dns = await checkDns(plan.hostname, options.timeoutMs);
  const isTls = plan.protocol === 'https:';
  const target: ProbeTarget = {
    url: plan.url,
    host: plan.hostname,
    address: dns.addresses[0]!.address,
    port: plan.port,
    path: plan.path,
    hostHeader: plan.hostHeader,
    tls: isTls ? { servername: options.servername ?? (net.isIP(plan.hostname) ? null : plan.hostname), ca: options.caPem, insecure: options.insecure } : null,
  };
  const ctx: ProbeContext = { target, timeoutMs: options.timeoutMs, idleMaxMs: options.idleMaxMs, signal: options.signal };
  const { connect, tls } = await checkConnect(ctx);
  options.onReachable?.(target.address);

  const total = SEQUENTIAL_CHECKS.length + 2;
  options.onCheck?.('idleTimeout', 0, total);
  const idle = timed('idleTimeout', ctx, RUNS.idleTimeout);
  // The race check sends on the idle timeout the idle check measures, beside the sequential checks.
  const race = idle.then((idleCheck) => {
    options.onCheck?.('keepAliveRace', total - 1, total);
    return timed('keepAliveRace', ctx, (c) => checkKeepAliveRace(c, idleCheck));
  });
  race.catch(() => {}); // awaited below; this only keeps a failure meanwhile from being unhandled
  const done: Partial<ProbeChecks> = {};
  for (const [i, name] of SEQUENTIAL_CHECKS.entries()) {
    options.onCheck?.(name, i + 1, total);
    (done as Record<CheckName, unknown>)[name] = await timed(name, ctx, RUNS[name] as CheckRun<typeof name>);
  }
  done.idleTimeout = await idle;
  done.keepAliveRace = await race;
  const checks = Object.fromEntries(CHECK_NAMES.map((name) => [name, done[name]])) as unknown as ProbeChecks;
  return {
    schema: PROBE_SCHEMA_ID,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    target: { url: target.url, host: target.host, port: target.port, tls: isTls, path: target.path },
    startedAt,
    durationMs: nowMs() - startMs,
    options: { timeoutMs: options.timeoutMs, idleMaxMs: options.idleMaxMs, insecure: options.insecure, servername: options.servername },
    interrupted: options.signal.aborted,
    dns,
    connect,
    tls,
    checks,
  };
}

/** Runs one check; a connection that could not be opened, or Ctrl-C, makes it 'unknown'. */
async function timed<K extends CheckName>(name: K, ctx: ProbeContext, run: CheckRun<K>): Promise<ProbeChecks[K]> {
  const startMs = nowMs();
  const unknown = (evidence: string) => ({ ...BLANKS[name], verdict: 'unknown', evidence, durationMs: nowMs() - startMs }) as ProbeChecks[K];
  if (ctx.signal.aborted) return unknown('interrupted');
  try {
    const result = await run(ctx);
    if (ctx.signal.aborted) return unknown('interrupted');
    return { ...result, durationMs: nowMs() - startMs } as ProbeChecks[K];
  } catch (err) {
    if (err instanceof OpenError) return unknown(err.code === 'EINTERRUPTED' ? 'interrupted' : `could not connect: ${describeOpenError(err)}`);
    throw err;
  }
}
