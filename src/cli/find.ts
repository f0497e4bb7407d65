// `connload find <url>`: the search for capacity. Steps the load up (rate by default,
// connections, or the connect rate) until a threshold fails, then bisects between the last
// passing and the first failing load. Each step is a phase run by the same machinery as `run`
// (a warmup, then a minimum duration); the document gets a top-level `capacity` object with the curve.
import type { Argv, CommandModule } from 'yargs';
import { InterruptedError, ThresholdFailedError, UsageError } from '../errors.js';
import { RESULT_SCHEMA_ID, type CapacityPoint, type CapacityResult, type PhaseResult, type ResultDocument } from '../metrics/result.js';
import type { RunOptionsInput } from '../plan/options.js';
import { parseDurationMs } from '../units.js';
import { renderCapacity } from '../report/capacity.js';
import { colorLevel } from '../report/style.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { context } from './context.js';
import { runPlans, writeOutputs, type OutputOptions } from './execute.js';
import { CapacitySearch, type FindBy } from './find-search.js';
import { outputOptions, plansFor } from './run.js';
import { runInputFromArgs, runOptions } from './run-options.js';
import { STRATEGY_NAMES, type StrategyName } from '../plan/types.js';
import { traitsOf } from '../strategies/index.js';

export const FIND_DEFAULTS = {
  startRate: 50,
  startConnections: 1,
  factor: 2,
  maxRate: 100_000,
  maxConnections: 1_000,
  startConnectRate: 50,
  maxConnectRate: 10_000,
  maxSteps: 12,
  maxTime: '10m',
  precision: 0.05,
  duration: '3s',
  warmup: '1s',
};

interface FindArgs {
  url: string;
  by: string;
  start?: number;
  'step-factor': number;
  'max-rate': number;
  'max-connections'?: number;
  'max-connect-rate'?: number;
  'max-steps': number;
  'max-time': string;
  precision: number;
  threshold?: string[];
  duration?: string;
  warmup?: string;
  quiet: boolean;
  json?: string;
  html?: string;
  hgrm?: string;
  junit?: string;
}

export interface FindSettings {
  by: FindBy;
  start: number;
  factor: number;
  max: number;
  maxSteps: number;
  maxTimeMs: number;
  precision: number;
  thresholds: string[];
  /** run options of every step, the load left out */
  base: RunOptionsInput;
}

/**
 * --by connect-rate: a step counts as passing that load only if it opened connections at least this
 * share of the asked rate (the achieved rate is the step's `connections.perSecond`). A step held back by
 * its lanes (-c too small for the server's latency), a refusing server or the client's CPU did not
 * run at the load it names, so it must not pass it.
 */
export const CONNECT_RATE_REACHED = 0.9;

/** The threshold each --by connect-rate step adds to the user's: the asked connect rate was reached. */
export function connectRateReached(load: number): string {
  return `connections.perSecond >= ${Number((load * CONNECT_RATE_REACHED).toFixed(2))}`;
}

/**
 * --by connect-rate without -c: enough lanes that the pacer, not the lanes, limits the rate: one lane
 * per 10 connections/s of --max-connect-rate, so a connection may take up to 100 ms (set-up, its
 * requests, the close) at the highest rate before the lanes hold the rate back.
 */
export function connectRateConnections(maxConnectRate: number): number {
  return Math.max(10, Math.ceil(maxConnectRate / 10));
}

/** What each `--by` steps: the run option, its flag, the search's bound, and the first step without --start. */
const STEPPED: Record<FindBy, { key: keyof RunOptionsInput; flag: string; bound: string; start: number }> = {
  rate: { key: 'rate', flag: '--rate', bound: '--max-rate', start: FIND_DEFAULTS.startRate },
  connections: { key: 'connections', flag: '--connections', bound: '--max-connections', start: FIND_DEFAULTS.startConnections },
  'connect-rate': { key: 'connectRate', flag: '--connect-rate', bound: '--max-connect-rate', start: FIND_DEFAULTS.startConnectRate },
};
const FIND_BY = Object.keys(STEPPED) as FindBy[];

/** Command-line arguments to the search's settings; every refusal is one line naming the option. */
export function findSettings(a: FindArgs & Record<string, unknown>): FindSettings {
  if (!FIND_BY.includes(a.by as FindBy)) throw new UsageError(`--by: expected rate, connections or connect-rate, got "${a.by}"`);
  const by = a.by as FindBy;
  const stepped = STEPPED[by];
  if (a['max-connect-rate'] !== undefined && by !== 'connect-rate') {
    throw new UsageError(`--max-connect-rate: bounds --by connect-rate only; expected ${stepped.bound} with --by ${by}`);
  }
  const thresholds = a.threshold ?? [];
  if (thresholds.length === 0) {
    throw new UsageError('find: expected at least one --threshold saying what must hold, e.g. --threshold "latency.p99 < 50ms" --threshold "errors.rate < 0.1%"');
  }
  const base = runInputFromArgs(a as never);
  const setByFind: Array<[keyof RunOptionsInput, string]> = [
    ['stages', '--stage'],
    ['connectionStages', '--stage-connections'],
    ['startAt', '--start-at'],
    [stepped.key, stepped.flag],
  ];
  for (const [key, flag] of setByFind) {
    if (base[key] !== undefined) throw new UsageError(`${flag}: find sets the load of each step itself; expected --start, --step-factor and ${stepped.bound} instead`);
  }
  const positive = (flag: string, value: number, integer: boolean): number => {
    if (!(typeof value === 'number' && value > 0 && (!integer || Number.isInteger(value)))) {
      throw new UsageError(`--${flag}: expected ${integer ? 'a positive integer' : 'a number > 0'}, got ${value}`);
    }
    return value;
  };
  const start = positive('start', a.start ?? stepped.start, true);
  const factor = a['step-factor'];
  if (!(typeof factor === 'number' && factor > 1)) throw new UsageError(`--step-factor: expected a number > 1, got ${factor}`);
  let max: number;
  if (by === 'rate') max = positive('max-rate', a['max-rate'], true);
  else if (by === 'connect-rate') {
    max = positive('max-connect-rate', a['max-connect-rate'] ?? FIND_DEFAULTS.maxConnectRate, true);
    // Every request opens a connection unless the user picks a strategy; then only retired
    // connections are opened again, so one must retire them for the connect rate to be a knob.
    base.strategy ??= 'new-connection';
    const strategy = base.strategy;
    if (
      STRATEGY_NAMES.includes(strategy) &&
      traitsOf(strategy as StrategyName).reusesConnections &&
      base.maxRequestsPerConnection === undefined &&
      base.maxConnectionAge === undefined
    ) {
      throw new UsageError(
        `--by connect-rate: --strategy ${strategy} reuses its connections, so after its pool of -c is open it opens new ones only as they retire; expected --max-requests-per-connection or --max-connection-age (or --strategy new-connection)`,
      );
    }
    base.connections ??= connectRateConnections(max);
  } else {
    max = positive('max-connections', a['max-connections'] ?? FIND_DEFAULTS.maxConnections, true);
    delete base.maxConnections; // the search's bound here, not the open model's cap
  }
  if (start > max) throw new UsageError(`--start: expected at most the highest load (${max}), got ${start}`);
  const maxTimeMs = parseDurationMs(a['max-time'], 's');
  if (maxTimeMs === null || maxTimeMs <= 0) throw new UsageError(`--max-time: expected a duration like 5m or 90s, got "${a['max-time']}"`);
  const precision = a.precision;
  if (!(typeof precision === 'number' && precision > 0 && precision < 1))
    throw new UsageError(`--precision: expected a fraction between 0 and 1 (0.05 = 5%), got ${precision}`);
  base.duration ??= FIND_DEFAULTS.duration;
  base.warmup ??= FIND_DEFAULTS.warmup;
  delete base.threshold;
  return { by, start, factor, max, maxSteps: positive('max-steps', a['max-steps'], true), maxTimeMs, precision, thresholds, base };
}

function stepName(by: FindBy, load: number): string {
  return by === 'rate' ? `rate ${load}/s` : by === 'connect-rate' ? `connect-rate ${load}/s` : `connections ${load}`;
}

/** A step's run options: the user's, this step's load, and (by connect-rate) the check that the load was reached. */
function stepOptions(s: FindSettings, load: number): RunOptionsInput {
  const threshold = s.by === 'connect-rate' ? [...s.thresholds, connectRateReached(load)] : s.thresholds;
  return { ...s.base, threshold, [STEPPED[s.by].key]: load };
}

function curvePoint(load: number, phase: PhaseResult): CapacityPoint {
  const failed = phase.thresholds.find((t) => !t.ok) ?? null;
  const attempted = phase.requests.completed + phase.requests.errors;
  return {
    load,
    phase: phase.name,
    ok: failed === null,
    failedThreshold: failed?.expression ?? null,
    failedActual: failed?.actual ?? null,
    requestsPerSecond: phase.requests.perSecond,
    latencyP50Ms: phase.metrics.latency?.p50 ?? null,
    latencyP99Ms: phase.metrics.latency?.p99 ?? null,
    errors: phase.requests.errors,
    errorRate: attempted > 0 ? phase.requests.errors / attempted : 0,
    connectionsOpened: phase.connections.opened,
    connectionsPerSecond: phase.durationMs > 0 ? phase.connections.opened / (phase.durationMs / 1000) : 0,
    timeWaitPeak: phase.ports.timeWaitPeak,
  };
}

/** Runs the search; returns the document with every step as a phase and the capacity. */
export async function findCapacity(url: string, s: FindSettings, out: Pick<OutputOptions, 'quiet'>, signal: AbortSignal): Promise<ResultDocument> {
  const search = new CapacitySearch({ start: s.start, factor: s.factor, max: s.max, maxSteps: s.maxSteps, precision: s.precision });
  const stepMs = (parseDurationMs(s.base.duration, 's') ?? 0) + (parseDurationMs(s.base.warmup ?? 0, 's') ?? 0);
  const optionsFor = (load: number): RunOptionsInput => stepOptions(s, load);
  // Every option is checked, and the first step planned, before anything is sent.
  await plansFor(url, optionsFor(s.start));
  const startedAt = new Date().toISOString();
  const began = performance.now();
  const phases: PhaseResult[] = [];
  const curve: CapacityPoint[] = [];
  let target: ResultDocument['target'] = { url, address: null };
  let interrupted = false;
  for (let load = search.next(); load !== null; load = search.next()) {
    if (performance.now() - began + stepMs > s.maxTimeMs) {
      search.stop('max-time');
      break;
    }
    const [plan] = await plansFor(url, optionsFor(load));
    const doc = await runPlans([{ ...plan!, name: stepName(s.by, load) }], out, signal);
    target = doc.target;
    const phase = doc.phases[0];
    if (phase !== undefined) phases.push(phase);
    if (doc.interrupted || phase === undefined) {
      interrupted = true;
      search.stop('interrupted');
      break;
    }
    const point = curvePoint(load, phase);
    curve.push(point);
    search.record(load, point.ok);
    if (!out.quiet) {
      const p99 = point.latencyP99Ms === null ? '-' : `${point.latencyP99Ms.toFixed(2)} ms`;
      process.stderr.write(`find: ${stepName(s.by, load)}: latency p99 ${p99}, errors ${point.errors}: ${point.ok ? 'pass' : `fail (${point.failedThreshold})`}\n`);
    }
  }
  curve.sort((a, b) => a.load - b.load);
  const failedStep = curve.find((p) => p.load === search.firstFail) ?? null;
  const capacity: CapacityResult = {
    by: s.by,
    value: search.lastPass,
    failedAt: search.firstFail,
    failedThreshold: failedStep?.failedThreshold ?? null,
    thresholds: s.thresholds,
    stoppedBy: search.stoppedBy ?? 'max-steps',
    curve,
  };
  return {
    schema: RESULT_SCHEMA_ID,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    target,
    startedAt,
    ok: capacity.value !== null && !interrupted,
    interrupted,
    phases,
    capacity,
  };
}

function builder(y: Argv): Argv<FindArgs> {
  return outputOptions(runOptions(y))
    .positional('url', { type: 'string', describe: 'http(s) URL' })
    .option('by', {
      type: 'string',
      default: 'rate',
      describe:
        'the load stepped: rate (open model, req/s), connections (closed model) or connect-rate (--connect-rate, new connections/s; -s new-connection unless given, -c from --max-connect-rate / 10 unless given; a step that opens fewer than 90% of its rate fails)',
      group: 'Search',
    })
    .option('start', {
      type: 'number',
      describe: `the first step's load (default ${FIND_DEFAULTS.startRate} req/s, ${FIND_DEFAULTS.startConnections} connection or ${FIND_DEFAULTS.startConnectRate} connections/s)`,
      group: 'Search',
    })
    .option('step-factor', { type: 'number', default: FIND_DEFAULTS.factor, describe: 'each step up multiplies the load by this', group: 'Search' })
    .option('max-rate', { type: 'number', default: FIND_DEFAULTS.maxRate, describe: 'the highest rate tried (--by rate)', group: 'Search' })
    .option('max-connect-rate', {
      type: 'number',
      describe: `the highest connect rate tried (--by connect-rate; default ${FIND_DEFAULTS.maxConnectRate})`,
      group: 'Search',
    })
    .option('max-steps', { type: 'number', default: FIND_DEFAULTS.maxSteps, describe: 'at most this many steps, up and bisecting', group: 'Search' })
    .option('max-time', { type: 'string', default: FIND_DEFAULTS.maxTime, describe: 'no step starts that would end after this much time in all', group: 'Search' })
    .option('precision', {
      type: 'number',
      default: FIND_DEFAULTS.precision,
      describe: 'bisect until the first failing load is within this fraction above the capacity',
      group: 'Search',
    })
    .example('$0 find http://127.0.0.1:8080/ -t "latency.p99 < 50ms" -t "errors.rate < 0.1%"', 'the highest rate at which p99 stays under 50 ms')
    .example('$0 find http://127.0.0.1:8080/ --by connections --max-connections 512 -t "latency.p99 < 50ms"', 'the most connections (closed model)')
    .example(
      '$0 find http://127.0.0.1:8080/ --by connect-rate --max-connect-rate 5000 -t "latency.p99 < 50ms" -t "errors.rate < 0.1%"',
      'the most new connections per second (a connection per request)',
    ) as unknown as Argv<FindArgs>;
}

export const findCommand: CommandModule<object, FindArgs> = {
  command: 'find <url>',
  describe: 'search for the highest load at which the thresholds hold, and draw the capacity curve',
  builder,
  handler: async (args) => {
    const settings = findSettings(args as FindArgs & Record<string, unknown>);
    const doc = await findCapacity(args.url, settings, args, context.signal);
    await writeOutputs(doc, args as unknown as OutputOptions);
    const tableStream = args.json === '-' ? process.stderr : process.stdout;
    tableStream.write(`\n${renderCapacity(doc.capacity!, colorLevel(tableStream))}`);
    if (doc.interrupted) throw new InterruptedError(context.stoppedBy ?? undefined);
    if (doc.capacity!.value === null) {
      const first = doc.capacity!.curve[0];
      throw new ThresholdFailedError(`find: even the first step failed${first ? ` (${first.phase}: ${first.failedThreshold})` : ''}: no capacity found`);
    }
  },
};
