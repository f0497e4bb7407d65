// Runs planned phases in order and writes every requested output: the command's
// flow (plan -> run -> result -> outputs -> exit code). Shared by `run` (URL or
// scenario) and `demo`.
import { ResolveError, resolveAll } from '../transport/resolver.js';
import { appendFile, writeFile } from 'node:fs/promises';
import { InterruptedError, RunError, ThresholdFailedError } from '../errors.js';
import { exhaustionWatch, isLoopbackAddress, readOpenFilesLimit, readPortFacts } from '../metrics/ports.js';
import { resultDocument, type PhaseResult, type ResultDocument } from '../metrics/result.js';
import { buildPhaseResult, type HostFacts } from '../metrics/summary.js';
import { thresholdFailures } from '../metrics/thresholds.js';
import { describePlan, phaseFacts } from '../plan/describe.js';
import { firstHop } from '../plan/proxy.js';
import type { PhasePlan } from '../plan/types.js';
import { runPhase } from '../run/coordinator.js';
import { createLiveDisplay } from '../report/live.js';
import { renderMarkdownSummary } from '../report/markdown.js';
import { colorLevel } from '../report/style.js';
import { context } from './context.js';
import { writeFailure, writeReportFiles } from './report.js';
import { renderTables } from '../report/table.js';

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
  if (plan.unixSocket !== null) return plan.unixSocket;
  const host = firstHop(plan).host;
  // The proxy's name is the system's to resolve; the target's as --dns-server / --resolve say.
  const options = plan.proxy !== null ? { policy: 'first' as const, pinned: null, server: null } : plan.dns;
  try {
    return (await resolveAll(host, options))[0]!;
  } catch (err) {
    if (err instanceof ResolveError)
      throw new RunError(`${err.message}${plan.dns.server !== null && plan.proxy === null ? ` (asked ${plan.dns.server})` : ''}`, 'ENOTFOUND');
    throw err;
  }
}

export async function executePlans(plans: PhasePlan[], out: OutputOptions, signal: AbortSignal): Promise<ResultDocument> {
  const doc = await runPlans(plans, out, signal);
  await writeOutputs(doc, out);
  if (doc.interrupted) throw new InterruptedError(context.stoppedBy ?? undefined);
  const failed = thresholdFailures(doc.phases);
  if (failed.length > 0) throw new ThresholdFailedError(`${failed.length} threshold${failed.length > 1 ? 's' : ''} failed:\n  ${failed.join('\n  ')}`);
  return doc;
}

/** Runs the phases in order and builds the document: writes nothing and judges nothing (`connload find` decides step by step). */
export async function runPlans(plans: PhasePlan[], out: Pick<OutputOptions, 'quiet'>, signal: AbortSignal): Promise<ResultDocument> {
  const stderr = process.stderr;
  const live = createLiveDisplay(stderr, { quiet: out.quiet });
  const address = await resolveAddress(plans[0]!);
  if (!out.quiet) for (const plan of plans) stderr.write(`${describePlan(plan)}\n`);
  const [ports, openFiles] = await Promise.all([readPortFacts(), readOpenFilesLimit()]);
  const host: HostFacts = { ports, targetLoopback: isLoopbackAddress(address), openFiles };
  const phases: PhaseResult[] = [];
  let interrupted = false;
  for (const plan of plans) {
    // Stopped before this phase began (even before the first): what was done is the partial report.
    if (signal.aborted) {
      interrupted = true;
      break;
    }
    const facts = phaseFacts(plan);
    const watchPorts = exhaustionWatch({ facts: host.ports, localAddresses: facts.localAddresses, targetLoopback: host.targetLoopback });
    let run;
    try {
      run = await runPhase(plan, {
        address,
        signal,
        // --quiet: nobody watches (the port warnings go to the live display too).
        onProgress: out.quiet
          ? undefined
          : (p) => {
              live.update(p);
              const warning = watchPorts(p);
              if (warning !== null) live.warn(warning);
            },
      });
    } finally {
      live.clear();
    }
    phases.push(buildPhaseResult(facts, host, run));
    if (run.interrupted) {
      interrupted = true;
      break;
    }
  }
  const doc = resultDocument({ url: plans[0]!.target.url, address }, new Date().toISOString(), phases, interrupted);
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
