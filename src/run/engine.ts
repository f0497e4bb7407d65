// The load loop of one worker: a pool of connections (pool.ts) fed by the
// dispatch of requests (dispatch.ts) from a supply (supply.ts). The engine
// builds the two, starts and stops them, and says when the run is over.
import { isIdempotent } from '../http1/request.js';
import type { Recorder } from '../metrics/recorder.js';
import type { LimitRange, WorkerPlan } from '../plan/types.js';
import { requestsPerConnection, type Strategy } from '../strategies/types.js';
import type { ConnectionFactory } from '../transport/connection.js';
import type { AddressBook } from '../transport/resolver.js';
import { TlsSessionCache } from '../transport/tls.js';
import { nowUs } from '../transport/timing.js';
import { ConnectionRamp } from './connection-ramp.js';
import { Dispatch } from './dispatch.js';
import { FatalConnectError } from './lanes.js';
import { Pool } from './pool.js';
import type { Supply } from './supply.js';

export { FatalConnectError } from './lanes.js';

/** How connections are opened for a phase, and how many requests each may carry. */
export interface Opener {
  open: ConnectionFactory;
  /** Requests after which the client retires a connection (each draws its own in the range), or null. */
  perConnection: LimitRange | null;
}

/**
 * The strategy's opener for a worker: its connections share TLS sessions, report HTTP/2 to `rec`,
 * and take their address from `addresses` when every address of the name is used.
 */
export function openerFor(plan: WorkerPlan, strategy: Strategy, rec: Recorder, addresses: AddressBook | null = null): Opener {
  const phase = plan.phase;
  return {
    open: strategy.prepare(phase, { tlsSessions: phase.tls.sessionReuse ? new TlsSessionCache() : null, http2: rec, addresses }),
    perConnection: requestsPerConnection(strategy.traits, phase),
  };
}

export class Engine {
  private readonly pool: Pool;
  private readonly work: Dispatch;
  private stopping = false;
  private scheduleTimer: NodeJS.Timeout | undefined;
  /** --stage-connections: moves the pool's lanes in use, or null for a fixed -c. */
  private readonly ramp: ConnectionRamp | null;
  /** When the run stopped (us), or 0 while it runs. */
  stoppedAtUs = 0;
  /** Resolves once stopped and every connection is closed; rejects with a FatalConnectError. */
  readonly done: Promise<void>;

  constructor(
    private readonly plan: WorkerPlan,
    opener: Opener,
    rec: Recorder,
    supply: Supply,
  ) {
    const phase = plan.phase;
    this.work = new Dispatch(supply, rec, isIdempotent(phase.method), () => this.stop());
    let settled!: (fatal: FatalConnectError | null) => void;
    this.done = new Promise((resolve, reject) => {
      settled = (fatal) => (fatal === null ? resolve() : reject(fatal));
    });
    const rules = {
      lanes: plan.connections,
      perConnection: opener.perConnection,
      maxAgeUs: phase.maxConnectionAgeMs === null ? null : { min: phase.maxConnectionAgeMs.min * 1000, max: phase.maxConnectionAgeMs.max * 1000 },
      idleTimeoutUs: (phase.idleTimeoutMs ?? 0) * 1000,
      // Workers share the rate as they share the connections.
      connectRate: phase.connectRate === null ? null : phase.connectRate / phase.workers,
      timeoutUs: phase.timeoutMs * 1000,
      connectTimeoutUs: phase.connectTimeoutMs * 1000,
      localAddresses: phase.localAddresses,
      intervalUs: (phase.intervalMs ?? 0) * 1000,
    };
    this.pool = new Pool(rules, opener.open, this.work, rec, { stop: () => this.stop(), settled });
    const ramp = phase.connectionRamp;
    this.ramp =
      ramp === null
        ? null
        : new ConnectionRamp(ramp.startConnections, ramp.stages, {
            runnerIndex: phase.runnerIndex,
            runnerCount: phase.runnerCount,
            workerIndex: plan.workerIndex,
            workers: phase.workers,
          });
  }

  start(): void {
    if (this.plan.rate !== null) {
      const { warmupMs, durationMs } = this.plan.phase;
      this.scheduleTimer = setTimeout(() => this.scheduleOver(), warmupMs + durationMs);
    }
    // The ramp starts when counting does: the warmup runs at the starting connections.
    this.ramp?.start(nowUs() + this.plan.phase.warmupMs * 1000, (lanes) => this.pool.setLanes(lanes));
    this.pool.start();
  }

  /**
   * Open model: the engine normally stops once every scheduled request has its outcome. Requests
   * waiting for a local port would wait for TIME_WAIT to end (60 s), far past the schedule: if the
   * ports are still out when it is over, they are dropped (they never started) and the run stops.
   */
  private scheduleOver(): void {
    if (this.stopping || !this.pool.outOfPorts) return;
    this.work.dropWaitingForPort(nowUs());
    this.stop();
  }

  /**
   * Stops sending: counted requests still without an outcome are `unfinished`, connections
   * still open when they are given up on are `stoppedAtEnd`. Called by the duration timer, by
   * the dispatch once all is done, and on a fatal connect error.
   */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stoppedAtUs = nowUs();
    clearTimeout(this.scheduleTimer);
    this.ramp?.stop();
    this.work.stop();
    this.pool.stop();
  }
}
