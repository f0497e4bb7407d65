// Runs one phase: starts the workers with their shares, merges their
// snapshots for the live display and their finals exactly (metrics/aggregate.ts),
// and samples TIME_WAIT on the main thread.
import { Worker } from 'node:worker_threads';
import { aggregateFinals } from '../metrics/aggregate.js';
import { addHistograms } from '../metrics/merge-kinds.js';
import type { Progress } from '../metrics/progress.js';
import type { RecorderFinal } from '../metrics/recorder.js';
import type { PhaseOutcome } from '../metrics/summary.js';
import { createTimeWaitSampler, UNSUPPORTED_SAMPLER, type TimeWaitSampler, type TimeWaitTrace } from '../metrics/timewait.js';
import { share } from '../plan/share.js';
import { firstHop } from '../plan/proxy.js';
import type { PhasePlan, WorkerPlan } from '../plan/types.js';
import { RunError } from '../errors.js';
import { assertNever, type LiveSnapshot, type WorkerToMain } from './messages.js';

/** The merged finals, what the sampler saw, and whether the run was interrupted. */
export type PhaseRun = PhaseOutcome;

export interface RunPhaseOptions {
  address: string;
  signal: AbortSignal;
  /** The live display; without it the workers skip encoding their latency for it each second. */
  onProgress?: (p: Progress) => void;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);
const WORKER_YOUNG_GENERATION_MB = 6;
/** The TIME_WAIT sampler waits this many times a sample's duration before the next (under 2% of the time)... */
const SAMPLE_COST_FACTOR = 60;
/** ...up to this long: seconds between samples are gaps in the series, never made-up counts. */
const SAMPLE_MAX_INTERVAL_MS = 5000;

/** How long after the start of a sample that cost `costMs` the next one starts (test/bench/measuring-cost.mjs uses it too). */
export function sampleIntervalMs(baseIntervalMs: number, costMs: number): number {
  return Math.max(baseIntervalMs, Math.min(costMs * SAMPLE_COST_FACTOR, SAMPLE_MAX_INTERVAL_MS));
}

/** The CPU the sampler's samples took so far, where it can tell (test/bench/measuring-cost.mjs paces by it too). */
export function spentMs(sampler: TimeWaitSampler): number | null {
  const spent = sampler.spent();
  return spent === null ? null : spent.childrenMs + spent.mainMs;
}

export async function runPhase(plan: PhasePlan, options: RunPhaseOptions): Promise<PhaseRun> {
  // --start-at: every runner starts at the same wall-clock time; otherwise as soon as the workers are up.
  const startAtEpochMs = plan.startAtEpochMs ?? Date.now() + 30 + 20 * plan.workers;
  const plans: WorkerPlan[] = Array.from({ length: plan.workers }, (_, i) => ({
    phase: plan,
    workerIndex: i,
    connections: share(plan.rate !== null ? (plan.maxConnections ?? plan.connections) : plan.connections, plan.workers, i),
    requests: plan.requests === null ? null : share(plan.requests, plan.workers, i),
    rate: plan.rate === null ? null : plan.rate / plan.workers,
    startAtEpochMs,
    address: options.address,
    liveLatency: options.onProgress !== undefined,
  }));
  // A Unix socket leaves no TIME_WAIT and holds no local port: nothing to sample.
  const sampler = plan.unixSocket !== null ? UNSUPPORTED_SAMPLER : createTimeWaitSampler({ address: options.address, port: firstHop(plan).port });
  const trace: TimeWaitTrace = { supported: sampler.supported, source: sampler.source, peakClient: null, peakServer: null, last: null, perSecond: [] };
  const snapshots: Array<LiveSnapshot | null> = plans.map(() => null);
  const finals: RecorderFinal[] = [];
  let fatal: { code: string; message: string } | null = null;
  let interrupted = false;
  let lastCompleted = 0;
  let lastOpened = 0;
  let lastClientCloses = 0;

  const workers = plans.map((p) => {
    // A small young generation: opening thousands of connections at once otherwise grows it to its
    // default maximum (tens of MB of RSS per worker), and no measured throughput depends on its size.
    const w = new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    w.postMessage({ type: 'start', plan: p });
    return w;
  });
  const stopAll = (): void => {
    for (const w of workers) w.postMessage({ type: 'stop' });
  };
  const onAbort = (): void => {
    interrupted = true;
    stopAll();
  };
  options.signal.addEventListener('abort', onAbort, { once: true });

  const sampleTimeWait = async (): Promise<void> => {
    const counts = await sampler.sample().catch(() => null);
    if (counts === null) return;
    trace.last = counts.client;
    trace.peakClient = Math.max(trace.peakClient ?? 0, counts.client);
    if (counts.server !== null) trace.peakServer = Math.max(trace.peakServer ?? 0, counts.server);
    const second = Math.floor((Date.now() - startAtEpochMs - plan.warmupMs) / 1000);
    if (second >= 0) {
      while (trace.perSecond.length <= second) trace.perSecond.push(null);
      trace.perSecond[second] = counts.client;
    }
  };
  // CONNLOAD_NO_SAMPLER=1 is a bench-only switch (test/bench): it measures what sampling costs.
  const sampling = sampler.supported && process.env.CONNLOAD_NO_SAMPLER !== '1';
  // A sample reads the whole TCP table: about 3 ms of kernel time when it is empty (the hash walk), tens
  // of ms with tens of thousands of TIME_WAIT entries (left by any process: 13,000 took 28 ms here). The
  // next sample waits SAMPLE_COST_FACTOR times as long as the last one cost, so sampling stays under 2%
  // of a core however large the table (a sample costing over ~16 ms means fewer than one a second). The
  // cost is its CPU where the sampler can tell (ss at a low priority waits for idle time, which costs
  // the load nothing), else its wall time.
  let samplerTimer: NodeJS.Timeout | undefined;
  let samplerStopped = false;
  const sampleAndReschedule = async (): Promise<void> => {
    const startedMs = performance.now();
    const spentBefore = spentMs(sampler);
    await sampleTimeWait();
    const tookMs = performance.now() - startedMs;
    const costMs = spentBefore === null ? tookMs : spentMs(sampler)! - spentBefore;
    if (!samplerStopped) samplerTimer = setTimeout(() => void sampleAndReschedule(), Math.max(0, sampleIntervalMs(plan.sampleIntervalMs, costMs) - tookMs));
  };
  if (sampling) samplerTimer = setTimeout(() => void sampleAndReschedule(), plan.sampleIntervalMs);

  const report = (): void => {
    const live = snapshots.filter((s): s is LiveSnapshot => s !== null);
    if (live.length === 0 || !options.onProgress) return;
    const completed = live.reduce((n, s) => n + s.completed, 0);
    const opened = live.reduce((n, s) => n + s.opened, 0);
    const clientCloses = live.reduce((n, s) => n + s.closedByClientFirst, 0);
    const hdrs = live.map((s) => s.latencyHdr).filter((h): h is string => h !== null);
    const p99Ms = hdrs.length > 0 ? addHistograms(hdrs).getValueAtPercentile(99) / 1000 : null;
    options.onProgress({
      phase: plan.name,
      elapsedMs: Date.now() - startAtEpochMs,
      totalMs: plan.warmupMs + plan.durationMs,
      counting: live.some((s) => s.counting),
      completed,
      requestsPerSecond: completed - lastCompleted,
      p99Ms,
      openConnections: live.reduce((n, s) => n + s.openConnections, 0),
      newConnectionsPerSecond: opened - lastOpened,
      clientClosesPerSecond: clientCloses - lastClientCloses,
      timeWait: trace.last,
      errors: live.reduce((n, s) => n + s.errors, 0),
    });
    lastCompleted = completed;
    lastOpened = opened;
    lastClientCloses = clientCloses;
  };

  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.on('message', (msg: WorkerToMain) => {
              switch (msg.type) {
                case 'snapshot':
                  snapshots[msg.snapshot.workerIndex] = msg.snapshot;
                  if (msg.snapshot.workerIndex === 0) report();
                  break;
                case 'final':
                  finals.push(msg.final);
                  break;
                case 'fatal':
                  fatal ??= { code: msg.code, message: msg.message };
                  stopAll();
                  break;
                default:
                  assertNever(msg);
              }
            });
            w.on('error', reject);
            w.on('exit', () => resolve());
          }),
      ),
    );
  } finally {
    samplerStopped = true;
    clearTimeout(samplerTimer);
    options.signal.removeEventListener('abort', onAbort);
  }
  try {
    if (fatal !== null) {
      const f = fatal as { code: string; message: string };
      throw new RunError(fatalMessage(plan, options.address, f.code, f.message), f.code);
    }
    if (sampling) await sampleTimeWait();
  } finally {
    sampler.close();
  }
  return { merged: aggregateFinals(finals), timeWait: trace, interrupted, startedAtEpochMs: startAtEpochMs + plan.warmupMs };
}

/** Why a target refused its certificate, and what the user can do: one line (exit 3). */
const CERTIFICATE_PROBLEMS: Record<string, { why: string; fix: string }> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: { why: 'it is self-signed', fix: 'pass --ca <file> with that certificate to trust it, or --insecure to skip verification' },
  SELF_SIGNED_CERT_IN_CHAIN: { why: 'its chain ends in a self-signed CA that is not trusted', fix: 'pass --ca <file> with that CA, or --insecure to skip verification' },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { why: 'it is signed by a CA that is not trusted here', fix: 'pass --ca <file> with that CA, or --insecure to skip verification' },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: { why: 'it is signed by a CA that is not trusted here', fix: 'pass --ca <file> with that CA, or --insecure to skip verification' },
  UNABLE_TO_GET_ISSUER_CERT: { why: 'its issuer is not known', fix: 'pass --ca <file> with that CA, or --insecure to skip verification' },
  CERT_HAS_EXPIRED: { why: 'it has expired', fix: 'renew it, or pass --insecure to skip verification' },
  CERT_NOT_YET_VALID: { why: 'it is not valid yet', fix: 'check the clocks, or pass --insecure to skip verification' },
  ERR_TLS_CERT_ALTNAME_INVALID: { why: 'it is not issued for that name', fix: 'use --servername with a name the certificate lists, or --insecure to skip verification' },
};

function fatalMessage(plan: PhasePlan, address: string, code: string, stack: string): string {
  // The worker sends the error's stack: its first line, without "Error: ", is the message.
  const message = code === 'EINTERNAL' ? stack : stack.split('\n')[0]!.replace(/^\w*Error: /, '');
  const hop = firstHop(plan);
  const where =
    plan.unixSocket !== null
      ? `${plan.target.url} (over ${plan.unixSocket})`
      : plan.proxy !== null
        ? `${plan.target.url} through the proxy ${plan.proxy.url} (${address}:${hop.port})`
        : `${plan.target.url} (${address}:${hop.port})`;
  if (code.startsWith('proxy-')) return `${where}: ${message} (${code})`;
  const cert = CERTIFICATE_PROBLEMS[code];
  if (cert !== undefined) {
    const name = plan.tls.servername ?? plan.target.hostname;
    const at = message.lastIndexOf('altnames: ');
    const names = code === 'ERR_TLS_CERT_ALTNAME_INVALID' && at >= 0 ? message.slice(at + 'altnames: '.length) : undefined;
    const listed = names === undefined ? '' : `; it lists ${names}`;
    return `TLS certificate of ${name}:${plan.target.port} rejected: ${cert.why} (${code}${listed}); ${cert.fix}`;
  }
  if (code === 'EHTTP1' || code === 'ENOH2') {
    return `${where}: ${message} (${code}); --strategy multiplex needs HTTP/2, use an HTTP/1.x strategy such as persistent`;
  }
  return `cannot reach ${where}: ${code}${code === 'EINTERNAL' ? `\n${message}` : ` ${describeCode(code, message)}`}`;
}

function describeCode(code: string, message: string): string {
  if (code === 'ECONNREFUSED') return '(nothing listens on that port)';
  if (code === 'ETIMEDOUT') return '(no answer within --connect-timeout)';
  return `(${message.split('\n')[0]})`;
}
