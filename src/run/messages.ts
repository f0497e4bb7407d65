// Everything that crosses between the main thread and the workers: one union
// each way, handled with exhaustive switches. Nothing is posted per request.
import type { RecorderFinal } from '../metrics/recorder.js';
import type { WorkerPlan } from '../plan/types.js';

export type MainToWorker = { type: 'start'; plan: WorkerPlan } | { type: 'stop' };

/** Once a second, for the live display. Totals since the counted part began. */
export interface LiveSnapshot {
  workerIndex: number;
  counting: boolean;
  completed: number;
  errors: number;
  opened: number;
  /** connections the client closed first (closedByClientFirst): each keeps a local port in TIME_WAIT */
  closedByClientFirst: number;
  openConnections: number;
  /** encoded latency histogram so far, or null */
  latencyHdr: string | null;
}

export type WorkerToMain =
  | { type: 'snapshot'; snapshot: LiveSnapshot }
  | { type: 'final'; workerIndex: number; final: RecorderFinal }
  | { type: 'fatal'; workerIndex: number; code: string; message: string };

export function assertNever(value: never): never {
  throw new Error(`unhandled message ${JSON.stringify(value)}`);
}
