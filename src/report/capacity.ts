// The capacity curve of `connload find` as a terminal table and one line of verdict.
import type { CapacityResult } from '../metrics/result.js';
import { formatThresholdActual } from '../metrics/thresholds.js';
import { fmtInt, fmtMs, makeChalk, table } from './style.js';

/** The unit of a search's load: req/s, connections, or connections/s (by connect-rate). */
export function loadUnit(by: CapacityResult['by']): string {
  return by === 'rate' ? 'req/s' : by === 'connect-rate' ? 'connections/s' : 'connections';
}

export function loadLabel(by: CapacityResult['by'], load: number): string {
  return `${fmtInt(load)} ${loadUnit(by)}`;
}

const STOPPED: Record<string, string> = {
  converged: 'the last passing and the first failing load are within the precision',
  'max-load': 'the highest load allowed passed (raise --max-rate / --max-connections / --max-connect-rate to search further)',
  'max-steps': '--max-steps reached',
  'max-time': '--max-time reached',
  'first-step-failed': 'the first step failed (lower --start)',
  interrupted: 'interrupted',
};

export function renderCapacity(capacity: CapacityResult, colorLevel: 0 | 1 | 2 | 3): string {
  const c = makeChalk(colorLevel);
  const t = table(['load', 'result', 'req/s', 'latency p50', 'latency p99', 'errors', 'connections opened', 'TIME_WAIT peak', 'failed threshold'], c);
  for (const p of capacity.curve) {
    t.push([
      loadLabel(capacity.by, p.load),
      p.ok ? c.green('pass') : c.red('fail'),
      fmtInt(p.requestsPerSecond),
      p.latencyP50Ms === null ? '-' : fmtMs(p.latencyP50Ms),
      p.latencyP99Ms === null ? '-' : fmtMs(p.latencyP99Ms),
      p.errors === 0 ? '0' : `${fmtInt(p.errors)} (${(p.errorRate * 100).toFixed(2)}%)`,
      p.connectionsPerSecond === undefined ? fmtInt(p.connectionsOpened) : `${fmtInt(p.connectionsOpened)} (${fmtInt(p.connectionsPerSecond)}/s)`,
      p.timeWaitPeak === null ? '-' : fmtInt(p.timeWaitPeak),
      p.failedThreshold ?? '',
    ]);
  }
  const lines = [c.bold(`Capacity curve (by ${capacity.by})`), t.toString()];
  const failedStep = capacity.curve.find((p) => p.load === capacity.failedAt);
  const failure =
    capacity.failedAt === null
      ? 'no step failed'
      : `first failing load ${loadLabel(capacity.by, capacity.failedAt)}: ${capacity.failedThreshold}${failedStep?.failedThreshold ? ` (actual ${formatThresholdActual(failedStep.failedThreshold, failedStep.failedActual)})` : ''}`;
  const verdict =
    capacity.value === null
      ? c.red(`No capacity found: even the first step, ${loadLabel(capacity.by, capacity.curve[0]?.load ?? 0)}, failed`)
      : c.bold.green(`Capacity: ${loadLabel(capacity.by, capacity.value)}`) + ' (the highest load at which every threshold held)';
  lines.push(`${verdict}; ${failure}; stopped: ${STOPPED[capacity.stoppedBy] ?? capacity.stoppedBy}.`);
  return lines.join('\n') + '\n';
}
