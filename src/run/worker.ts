// Worker thread entry: runs its share of a phase and reports a snapshot per
// second and one final message with encoded histograms.
import { parentPort } from 'node:worker_threads';
import { Recorder } from '../metrics/recorder.js';
import { AddressBook, needsAddressBook } from '../transport/resolver.js';
import { sumErrors } from '../metrics/counters.js';
import { closedByClientFirst } from '../metrics/ports.js';
import { nowUs } from '../transport/timing.js';
import type { WorkerPlan } from '../plan/types.js';
import { strategyFor } from '../strategies/index.js';
import { Engine, FatalConnectError, openerFor } from './engine.js';
import { assertNever, type MainToWorker, type WorkerToMain } from './messages.js';
import { ClosedSupply, OpenSupply, PageSupply, type Supply } from './supply.js';
import { RampSchedule, RampSupply } from './ramp-supply.js';

if (parentPort === null) throw new Error('worker.js must run in a worker thread');
const port = parentPort;
const post = (msg: WorkerToMain): void => port.postMessage(msg);

/** Open model: how long after the last slot's timeout a worker still waits for outcomes. */
const DRAIN_BACKSTOP_MS = 1000;

let engine: Engine | null = null;
let stopRequested = false;
/** Ends the wait for the phase's start (--start-at may be hours ahead): a stop must not wait for it. */
let endStartWait: (() => void) | null = null;

port.on('message', (msg: MainToWorker) => {
  switch (msg.type) {
    case 'start':
      void run(msg.plan);
      break;
    case 'stop':
      stopRequested = true;
      endStartWait?.();
      engine?.stop();
      break;
    default:
      assertNever(msg);
  }
});

function makeSupply(plan: WorkerPlan, rec: Recorder, startUs: number): Supply {
  const phase = plan.phase;
  if (phase.page !== null) return new PageSupply(phase.page.length, plan.requests, (s, e) => rec.page(s, e));
  if (plan.rate !== null && phase.ramp !== null) {
    // The warmup holds the starting rate; the ramp begins when counting does (as a connection ramp).
    const { startRate, stages } = phase.ramp;
    const warmup = phase.warmupMs > 0 ? [{ durationMs: phase.warmupMs, target: startRate }] : [];
    const schedule = new RampSchedule(startRate, [...warmup, ...stages]);
    return new RampSupply(startUs, schedule, plan.workerIndex, phase.workers, plan.requests, phase.timeoutMs * 1000, () => rec.dropped());
  }
  if (plan.rate !== null && phase.rate !== null) {
    // Workers interleave their schedules: worker i is offset by i slots of the total rate.
    const offsetUs = (plan.workerIndex * 1e6) / phase.rate;
    return new OpenSupply(startUs + offsetUs, plan.rate, plan.requests, phase.timeoutMs * 1000, () => rec.dropped());
  }
  return new ClosedSupply(plan.requests);
}

async function run(plan: WorkerPlan): Promise<void> {
  const phase = plan.phase;
  const strategy = strategyFor(phase.strategy);
  if (strategy === undefined) throw new Error(`strategy ${phase.strategy} is not available`);
  // Held connections (--interval) measure from each request's slot too: the uncorrected latency goes beside it.
  const rec = new Recorder({ openModel: phase.rate !== null || phase.intervalMs !== null });
  // Every address of the name, resolved before the start (a failure here was caught at plan time).
  const book =
    phase.proxy === null && phase.unixSocket === null && needsAddressBook(phase.target.hostname, phase.dns) ? new AddressBook(phase.target.hostname, phase.dns) : null;
  if (book !== null) await book.refresh();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, plan.startAtEpochMs - Date.now()));
    endStartWait = () => {
      clearTimeout(timer);
      resolve();
    };
    if (stopRequested) endStartWait();
  });
  endStartWait = null;
  const startUs = nowUs();
  const supply = makeSupply(plan, rec, startUs);
  const eng = new Engine(plan, openerFor(plan, strategy, rec, book), rec, supply);
  engine = eng;
  // Open model: the schedule covers warmup and duration; no slot after it is handed out.
  const scheduleEndUs = startUs + (phase.warmupMs + phase.durationMs) * 1000;
  if (supply instanceof OpenSupply) supply.endAt(scheduleEndUs);
  const snapshot = (): void => {
    rec.tick(nowUs());
    const c = rec.counters;
    post({
      type: 'snapshot',
      snapshot: {
        workerIndex: plan.workerIndex,
        counting: rec.counting,
        completed: c.completed,
        errors: sumErrors(c.errors),
        opened: c.connections.opened,
        closedByClientFirst: closedByClientFirst(c.connections),
        openConnections: rec.openNow,
        latencyHdr: plan.liveLatency ? rec.encodedLatency() : null,
      },
    });
  };
  const timers: NodeJS.Timeout[] = [];
  // --dns-refresh: resolve again during the run, as clients behind DNS-based balancing must; a failed
  // lookup keeps the addresses the book has.
  if (book !== null && phase.dns.refreshMs !== null) {
    timers.push(
      setInterval(
        () =>
          void book.refresh().then(
            (us) => rec.lookup(us),
            () => {},
          ),
        phase.dns.refreshMs,
      ),
    );
  }
  const beginCounting = (): void => {
    rec.startCounting();
    rec.tick(nowUs()); // the series' open connections at second 0 are those open now
    timers.push(setInterval(snapshot, 1000));
    if (supply instanceof OpenSupply) {
      // The engine stops by itself once every scheduled request has its outcome (each is
      // bounded by --timeout), so a stall at the end is measured, not cut off. This is a backstop.
      const boundMs = Math.max(phase.timeoutMs, phase.connectTimeoutMs) + DRAIN_BACKSTOP_MS;
      timers.push(setTimeout(() => eng.stop(), phase.durationMs + boundMs));
    } else {
      stopAt(rec.countStartUs + phase.durationMs * 1000);
    }
  };
  /** Closed model: stops once this clock has counted --duration. Node's timers count from the loop's cached
   *  whole-millisecond time, so one can fire up to a millisecond early by this clock: then the rest is waited. */
  const stopAt = (endUs: number): void => {
    const leftMs = Math.ceil((endUs - nowUs()) / 1000);
    if (leftMs <= 0) eng.stop();
    else timers.push(setTimeout(() => stopAt(endUs), leftMs));
  };
  if (phase.warmupMs > 0) timers.push(setTimeout(beginCounting, phase.warmupMs));
  else beginCounting();
  if (stopRequested) eng.stop();
  else eng.start();
  try {
    await eng.done;
    rec.tick(nowUs());
    let endUs = eng.stoppedAtUs || nowUs();
    // Open model: the counted time is the schedule, not the schedule plus the last responses.
    if (supply instanceof OpenSupply) endUs = Math.min(endUs, scheduleEndUs);
    post({ type: 'final', workerIndex: plan.workerIndex, final: rec.final(endUs) });
  } catch (err) {
    const e = err as Error;
    post({
      type: 'fatal',
      workerIndex: plan.workerIndex,
      code: err instanceof FatalConnectError ? err.code : 'EINTERNAL',
      message: e.stack ?? e.message,
    });
  } finally {
    for (const t of timers) clearTimeout(t);
    port.close();
  }
}
