// The server's counters: one mutable recorder, copied out by snapshot().
import type { CapacityGate } from './capacity.js';
import type { FaultName, ServerStats } from './types.js';

export type HttpVersionKey = keyof ServerStats['requestsByVersion'];

export class ServerStatsRecorder {
  constructor(private readonly capacity: CapacityGate | null = null) {}

  private readonly counts: Omit<ServerStats, 'capacity'> = {
    connections: 0,
    openConnections: 0,
    peakOpenConnections: 0,
    requests: 0,
    requestsByVersion: { http10: 0, http11: 0, h2: 0 },
    sessions: 0,
    peakConcurrentStreams: 0,
    peakStreamsPerSession: 0,
    closedByServer: 0,
    closedByClient: 0,
    faults: { truncate: 0, reset: 0, stall: 0, malformed: 0 },
    tlsResumed: 0,
  };
  private streamsInFlight = 0;

  connectionOpened(): void {
    const c = this.counts;
    c.connections++;
    c.openConnections++;
    if (c.openConnections > c.peakOpenConnections) c.peakOpenConnections = c.openConnections;
  }

  connectionClosed(byServer: boolean): void {
    this.counts.openConnections--;
    if (byServer) this.counts.closedByServer++;
    else this.counts.closedByClient++;
  }

  answered(version: HttpVersionKey): void {
    this.counts.requests++;
    this.counts.requestsByVersion[version]++;
  }

  fault(name: FaultName): void {
    this.counts.faults[name]++;
  }

  sessionOpened(): void {
    this.counts.sessions++;
  }

  tlsResumed(): void {
    this.counts.tlsResumed++;
  }

  /** A stream started; `inSession` is that session's count of streams in flight, this one included. */
  streamStarted(inSession: number): void {
    const c = this.counts;
    this.streamsInFlight++;
    if (this.streamsInFlight > c.peakConcurrentStreams) c.peakConcurrentStreams = this.streamsInFlight;
    if (inSession > c.peakStreamsPerSession) c.peakStreamsPerSession = inSession;
  }

  streamFinished(): void {
    this.streamsInFlight--;
  }

  snapshot(): ServerStats {
    const c = this.counts;
    const q = this.capacity?.stats ?? { peakInService: 0, peakQueue: 0, waited: 0, waitTotalMs: 0, served: 0, serviceTotalMs: 0 };
    const capacity = {
      limit: this.capacity?.limit ?? null,
      peakInService: q.peakInService,
      peakQueue: q.peakQueue,
      waited: q.waited,
      waitTotalMs: q.waitTotalMs,
      waitMeanMs: q.waited > 0 ? q.waitTotalMs / q.waited : 0,
      served: q.served,
      serviceMeanMs: q.served > 0 ? q.serviceTotalMs / q.served : 0,
    };
    return { ...c, requestsByVersion: { ...c.requestsByVersion }, faults: { ...c.faults }, capacity };
  }
}
