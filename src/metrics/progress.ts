// What the live display is given about a running phase, about once a second:
// the coordinator sums the workers' snapshots into it.

export interface Progress {
  phase: string;
  elapsedMs: number;
  totalMs: number;
  counting: boolean;
  completed: number;
  requestsPerSecond: number;
  p99Ms: number | null;
  openConnections: number;
  newConnectionsPerSecond: number;
  /** Connections the client closed first in the last second: only these leave its local ports in TIME_WAIT. */
  clientClosesPerSecond: number;
  timeWait: number | null;
  errors: number;
}
