// Runs planned phases in order and writes every requested output. Shared by
// `run` (URL or scenario) and `demo`.
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { appendFile, writeFile } from 'node:fs/promises';
import { InterruptedError, RunError, ThresholdFailedError } from '../errors.js';
import { closedByClientFirst, exhaustionAdvice, exhaustionWarning, isLoopbackAddress, readPortFacts, summarizePorts } from '../metrics/ports.js';
import { RESULT_SCHEMA_ID, type PhaseResult, type ResultDocument } from '../metrics/result.js';
import { buildPhaseResult } from '../metrics/summary.js';
import { evaluateThreshold, formatThresholdActual, parseThreshold } from '../metrics/thresholds.js';
import type { PhasePlan } from '../plan/types.js';
import { runPhase } from '../run/coordinator.js';
import { createLiveDisplay } from '../report/live.js';
import { renderMarkdownSummary } from '../report/markdown.js';
import { colorLevel } from '../report/style.js';
import { context } from './context.js';
import { writeFailure, writeReportFiles } from './report.js';
import { renderTables } from '../report/table.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

export interface OutputOptions {
  json?: string;
  html?: string;
  hgrm?: string;
  junit?: string;
  quiet: boolean;
  /** print only the comparison table (the demo) */
  comparisonOnly?: boolean;
}

export async function resolveAddress(plan: PhasePlan): Promise<string> {
  const host = plan.target.hostname;
  if (net.isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (err) {
    throw new RunError(`cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'ENOTFOUND');
  }
}

export function describePlan(plan: PhasePlan): string {
  const load = plan.rate !== null ? `${plan.rate} req/s (open model, up to ${plan.maxConnections ?? plan.connections} connections)` : `${plan.connections} connections`;
  const stop = [plan.requests !== null ? `${plan.requests} requests` : null, `${plan.durationMs / 1000}s`].filter(Boolean).join(' or ');
  const extra = [
    plan.strategy === 'pipeline' ? `depth ${plan.depth}` : null,
    plan.strategy === 'multiplex' ? `${plan.streams} streams` : null,
    plan.page ? `page of ${plan.page.length}` : null,
    plan.warmupMs > 0 ? `warmup ${plan.warmupMs / 1000}s` : null,
    plan.workers > 1 ? `${plan.workers} workers` : null,
    `close ${plan.close}`,
  ].filter(Boolean).join(', ');
  return `${plan.name}: ${plan.strategy}, ${load}, ${stop}, ${extra} -> ${plan.method} ${plan.target.url}`;
}

export async function executePlans(plans: PhasePlan[], out: OutputOptions, signal: AbortSignal): Promise<ResultDocument> {
  const stderr = process.stderr;
  const live = createLiveDisplay(stderr, { quiet: out.quiet });
  const address = await resolveAddress(plans[0]!);
  if (!out.quiet) for (const plan of plans) stderr.write(`${describePlan(plan)}\n`);
  const facts = await readPortFacts();
  const targetLoopback = isLoopbackAddress(address);
  const phases: PhaseResult[] = [];
  let interrupted = false;
  for (const plan of plans) {
    // Stopped before this phase began (even before the first): what was done is the partial report.
    if (signal.aborted) {
      interrupted = true;
      break;
    }
    let warned = false;
    // 0 when the OS picks the source: tcp_tw_reuse does not help sockets bound to a --local-address.
    const localAddresses = plan.localAddresses.length;
    let run;
    try {
      run = await runPhase(plan, {
        address,
        signal,
        onProgress: (p) => {
          live.update(p);
          if (warned || p.timeWait === null) return;
          const now = summarizePorts({
            supported: true, source: null, facts, localAddresses, targetLoopback, timeWaitPeak: p.timeWait, timeWaitPeakServer: null,
            clientClosesPerSecond: p.clientClosesPerSecond, timeWaitNow: p.timeWait, exhaustedAtSeconds: null,
          });
          const warning = exhaustionWarning(now);
          if (warning !== null) {
            warned = true;
            live.warn(warning);
          }
        },
      });
    } finally {
      live.clear();
    }
    const seconds = run.merged.durationMs / 1000;
    const ports = summarizePorts({
      supported: run.timeWait.supported,
      source: run.timeWait.source,
      facts,
      localAddresses,
      targetLoopback,
      timeWaitPeak: run.timeWait.peakClient,
      timeWaitPeakServer: run.timeWait.peakServer,
      clientClosesPerSecond: seconds > 0 ? closedByClientFirst(run.merged.counters.connections) / seconds : 0,
      timeWaitNow: run.timeWait.last,
      exhaustedAtSeconds: run.merged.counters.exhaustedAtSeconds,
    });
    const notes = [...(ports.exhausted ? exhaustionAdvice(ports, { strategy: plan.strategy, close: plan.close }) : [])];
    if (plan.close === 'reset' && run.merged.counters.connections.resetByClient > 0) {
      notes.push('--close reset: connections were aborted with RST, so no TIME_WAIT was left anywhere; this is a trick with a cost: the server sees resets, and data still in flight is lost.');
    }
    const phase = buildPhaseResult(plan, run.merged, run.timeWait, { ports, notes, interrupted: run.interrupted });
    phase.thresholds = plan.thresholds.map((t) => evaluateThreshold(parseThreshold(t), phase));
    phases.push(phase);
    if (run.interrupted) {
      interrupted = true;
      break;
    }
  }
  const doc: ResultDocument = {
    schema: RESULT_SCHEMA_ID,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    target: { url: plans[0]!.target.url, address },
    startedAt: new Date().toISOString(),
    ok: phases.every((p) => p.thresholds.every((t) => t.ok)) && !interrupted,
    interrupted,
    phases,
  };
  await writeOutputs(doc, out);
  if (interrupted) throw new InterruptedError(context.stoppedBy ?? undefined);
  const failed = phases.flatMap((p) => p.thresholds.filter((t) => !t.ok).map((t) => `${p.name}: ${t.expression} (actual ${formatThresholdActual(t.expression, t.actual)})`));
  if (failed.length > 0) throw new ThresholdFailedError(`${failed.length} threshold${failed.length > 1 ? 's' : ''} failed:\n  ${failed.join('\n  ')}`);
  return doc;
}

/** Writes every output asked for; one that fails (disk full, removed directory) does not stop the others. */
export async function writeOutputs(doc: ResultDocument, out: OutputOptions): Promise<void> {
  const jsonText = JSON.stringify(doc, null, 2) + '\n';
  const tableStream = out.json === '-' ? process.stderr : process.stdout;
  tableStream.write(renderTables(doc, { colorLevel: colorLevel(tableStream), comparisonOnly: out.comparisonOnly }));
  if (out.json === '-') process.stdout.write(jsonText);
  const failures: string[] = [];
  const attempt = async (what: string, write: () => Promise<unknown>): Promise<void> => {
    try {
      await write();
    } catch (err) {
      failures.push(err instanceof RunError ? err.message : `${what}: ${writeFailure(err)}`);
    }
  };
  if (out.json && out.json !== '-') await attempt(`--json ${out.json}`, () => writeFile(out.json!, jsonText));
  await attempt('report files', () => writeReportFiles(doc, out));
  const summary = process.env.GITHUB_STEP_SUMMARY;
  // A line break first: an earlier step may not have ended its last line, which would swallow the heading.
  if (summary) await attempt(`GITHUB_STEP_SUMMARY ${summary}`, () => appendFile(summary, `\n${renderMarkdownSummary(doc)}`));
  if (failures.length > 0) throw new RunError(`could not write ${failures.join('; ')}`, 'EOUTPUT');
}
