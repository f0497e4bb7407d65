// Per-worker metrics: every duration is computed here, from the timeline of
// an Exchange or a connection, and recorded into HDR histograms in integer us.
// A response costs four histogram records (five in the open model), plus three on
// a new connection: the reused-connection variants are the totals minus the new ones.
import type { MetricName } from './catalog.js';
import { newCounters, type Counters } from './counters.js';
import type { PeerCounts } from './merge-kinds.js';
import { UsHistogram } from './histogram.js';
import { isPortExhaustion } from './ports.js';
import { nowUs, type ConnectionTiming, type Exchange } from '../transport/timing.js';
import type { CloseKind } from '../transport/connection.js';
import type { Http2Observer, SessionTally } from './http2-observer.js';

export interface SeriesArrays {
  requests: number[];
  newConnections: number[];
  openConnections: number[];
  errors: number[];
  /** connections the server closed (FIN) or reset */
  closedByServer: number[];
  /** connects that failed (ECONNREFUSED, EMFILE, ...) */
  connectFailed: number[];
}

export interface RecorderFinal {
  counters: Counters;
  /** encoded histograms of the metrics that have values */
  histograms: Partial<Record<MetricName, string>>;
  requestsPerConnection: string;
  series: SeriesArrays;
  countedUs: number;
}

export class Recorder implements Http2Observer {
  readonly counters: Counters = newCounters();
  /** false during warmup: nothing is counted */
  counting = false;
  countStartUs = 0;
  openNow = 0;
  private readonly histograms = new Map<MetricName, UsHistogram>();
  // The per-response ones (and the connect time), held directly: no map lookup on the hot path.
  private readonly wait = this.hist('wait');
  private readonly ttfb = this.hist('ttfb');
  private readonly download = this.hist('download');
  private readonly latency = this.hist('latency');
  private readonly ttfbNew = this.hist('ttfbNew');
  private readonly latencyNew = this.hist('latencyNew');
  private readonly downloadNew = this.hist('downloadNew');
  private readonly latencyUncorrected = this.hist('latencyUncorrected');
  private readonly connectTime = this.hist('connect');
  private readonly requestsPerConnection = new UsHistogram();
  private readonly statusCounts = new Int32Array(1000);
  readonly series: SeriesArrays = { requests: [], newConnections: [], openConnections: [], errors: [], closedByServer: [], connectFailed: [] };
  private readonly openModel: boolean;
  /** HTTP/2 sessions open now: folded into streamsPerSession when they end, or at final() */
  private readonly sessions = new Set<SessionTally>();

  constructor(options: { openModel: boolean }) {
    this.openModel = options.openModel;
  }

  startCounting(): void {
    this.counting = true;
    this.countStartUs = nowUs();
    // Connections opened in the warmup are open now: they count towards the peak.
    this.counters.connections.peakOpen = this.openNow;
  }

  private hist(name: MetricName): UsHistogram {
    let h = this.histograms.get(name);
    if (h === undefined) {
      h = new UsHistogram();
      this.histograms.set(name, h);
    }
    return h;
  }

  private second(atUs: number): number {
    const s = Math.floor((atUs - this.countStartUs) / 1e6);
    return s < 0 ? 0 : s;
  }

  private bump(arr: number[], atUs: number): void {
    const s = this.second(atUs);
    while (arr.length <= s) arr.push(0);
    arr[s]!++;
  }

  /** A connection finished its set-up (TCP, and TLS when secure). */
  connected(t: ConnectionTiming, secure: { version: string | null; cipher: string | null; alpn: string | null; resumed: boolean } | null): void {
    this.openNow++;
    if (!this.counting || t.startUs < this.countStartUs) return;
    const c = this.counters.connections;
    c.opened++;
    if (this.openNow > c.peakOpen) c.peakOpen = this.openNow;
    this.bump(this.series.newConnections, t.connectEndUs);
    if (t.peer) this.peer(this.counters.addresses, t.peer).connections++;
    const tcpStartUs = t.lookupEndUs > 0 ? t.lookupEndUs : t.startUs;
    if (t.lookupEndUs > 0) this.hist('dns').record(t.lookupEndUs - t.startUs);
    this.connectTime.record(t.connectEndUs - tcpStartUs);
    if (t.tunnelEndUs > 0) this.hist('tunnel').record(t.tunnelEndUs - t.connectEndUs);
    if (t.secureEndUs > 0) {
      // Through a proxy the TLS handshake starts once the tunnel is up: the CONNECT round trip is not TLS.
      this.hist('tls').record(t.secureEndUs - (t.tunnelEndUs || t.connectEndUs));
      if (secure) {
        const tls = this.counters.tls;
        tls.handshakes++;
        if (secure.resumed) tls.resumed++;
        tls.version ??= secure.version;
        tls.cipher ??= secure.cipher;
        tls.alpn ??= secure.alpn;
      }
    }
  }

  /** A connection could not be opened (counted by code; EADDRNOTAVAIL/EADDRINUSE mean the local ports ran out). */
  connectFailed(code: string, atUs: number): void {
    if (!this.counting) return;
    const c = this.counters.connections;
    c.failed++;
    c.failedByCode[code] = (c.failedByCode[code] ?? 0) + 1;
    this.bump(this.series.connectFailed, atUs);
    this.counters.held.failedFirstSecond[code] ??= this.second(atUs);
    // Out of ports the requests wait (no request failed): the failed connect is the error.
    // Otherwise the engine counts each request that failed with this code.
    if (isPortExhaustion(code)) {
      this.error('port-exhausted', atUs);
      this.counters.exhaustedAtSeconds ??= Math.max(0, (atUs - this.countStartUs) / 1e6);
    }
  }

  /** A name lookup of the run's own (--dns-refresh), timed as `dns`. */
  lookup(us: number): void {
    if (this.counting) this.hist('dns').record(us);
  }

  /** A connection that was connected has closed (a failed connect goes to connectFailed); `atUs`: when, if the caller has it. */
  closed(kind: CloseKind, t: ConnectionTiming, responses: number, code: string | null = null, atUs = 0): void {
    this.openNow--;
    if (!this.counting || t.startUs < this.countStartUs) return;
    const c = this.counters.connections;
    switch (kind) {
      case 'server-fin':
        c.closedByServer++;
        this.bump(this.series.closedByServer, atUs || nowUs());
        break;
      case 'server-reset':
        c.resetByServer++;
        this.bump(this.series.closedByServer, atUs || nowUs());
        break;
      case 'client':
        c.closedByClient++;
        break;
      case 'client-reset':
        c.resetByClient++;
        break;
      case 'timeout':
        c.closedByTimeout++;
        break;
      case 'error': {
        c.closedByClient++;
        const byCode = (c.closedOnError ??= {});
        const key = code ?? 'error';
        byCode[key] = (byCode[key] ?? 0) + 1;
        break;
      }
      case 'stopped':
        c.stoppedAtEnd++;
        break;
    }
    this.requestsPerConnection.recordCount(responses);
  }

  keepAlive(header: string, max: number | null, responsesOnConnection: number): void {
    const c = this.counters.connections;
    c.keepAliveHeader ??= header;
    const seen = Math.max(max ?? 0, responsesOnConnection);
    if (c.keepAliveMaxObserved === null || seen > c.keepAliveMaxObserved) c.keepAliveMaxObserved = seen;
  }

  /** A complete response. */
  response(ex: Exchange): void {
    if (!this.counting || !ex.counted) return;
    const counters = this.counters;
    counters.completed++;
    const status = ex.statusCode;
    if (status >= 0 && status < 1000) this.statusCounts[status]!++;
    this.bump(this.series.requests, ex.endUs);
    if (ex.peer !== null) this.countPeerRequest(this.counters.addresses, ex.peer, ex.endUs);
    if (ex.backend !== null) {
      const b = this.countPeerRequest(this.counters.backends, ex.backend, ex.endUs);
      // A backend's connections: those whose first response it sent.
      if (ex.connection !== null) b.connections++;
    }
    const startUs = ex.intendedUs;
    const ttfb = ex.firstByteUs - startUs;
    const latency = ex.endUs - startUs;
    const download = ex.endUs - ex.firstByteUs;
    this.wait.record(ex.firstByteUs - ex.writeEndUs);
    this.ttfb.record(ttfb);
    this.download.record(download);
    this.latency.record(latency);
    if (ex.connection !== null) {
      this.ttfbNew.record(ttfb);
      this.latencyNew.record(latency);
      this.downloadNew.record(download);
    } else {
      counters.reused++;
    }
    if (this.openModel) this.latencyUncorrected.record(ex.endUs - ex.issueUs);
  }

  /** The counts of one peer, made at its first sight. */
  private peer(peers: Record<string, PeerCounts>, name: string): PeerCounts {
    return (peers[name] ??= { connections: 0, requests: 0, series: [] });
  }

  private countPeerRequest(peers: Record<string, PeerCounts>, name: string, atUs: number): PeerCounts {
    const p = this.peer(peers, name);
    p.requests++;
    this.bump(p.series, atUs);
    return p;
  }

  /** A request got no answer on a reused connection (closed or reset under it): its connection's idle age. */
  raceFailure(ex: Exchange): void {
    if (this.counting && ex.counted && ex.idleUs >= 0) this.hist('idleBeforeFailure').record(ex.idleUs);
  }

  page(startUs: number, endUs: number): void {
    if (this.counting && startUs >= this.countStartUs) this.hist('page').record(endUs - startUs);
  }

  error(code: string, atUs: number): void {
    if (!this.counting) return;
    const e = this.counters.errors;
    e[code] = (e[code] ?? 0) + 1;
    this.bump(this.series.errors, atUs);
  }

  retried(stale: boolean): void {
    if (!this.counting) return;
    this.counters.retried++;
    if (stale) this.counters.connections.staleReuse++;
  }

  dropped(): void {
    if (this.counting) this.counters.dropped++;
  }

  /** --interval: a request went after its slot, and `skippedSlots` slots passed with none (run/held-schedule.ts). */
  lateSlot(skippedSlots: number): void {
    if (!this.counting) return;
    this.counters.held.late++;
    this.counters.held.skipped += skippedSlots;
  }

  /** The run stopped: `sent` counted requests were handed out, `unfinished` of them have no outcome. */
  ended(sent: number, unfinished: number): void {
    this.counters.sent += sent;
    this.counters.unfinished += unfinished;
    this.counters.held.openAtEnd = this.openNow;
  }

  /** Once a second: the open-connections gauge for the series, at index k for the tick near k seconds. */
  tick(atUs: number): void {
    if (!this.counting) return;
    // Rounded, not floored: a 1 s timer may fire a little before the second by this clock (Node's timers
    // start from the loop's cached time), and a floor put that sample a second early.
    const s = Math.max(0, Math.round((atUs - this.countStartUs) / 1e6));
    const arr = this.series.openConnections;
    while (arr.length <= s) arr.push(this.openNow);
    arr[s] = this.openNow;
  }

  // --- HTTP/2 sessions (Http2Observer) ----------------------------------------

  sessionOpened(tally: SessionTally, maxStreams: number): void {
    this.sessions.add(tally);
    // A fact of the server, so kept during warmup too; 0xffffffff is "no limit announced".
    if (maxStreams >= 0x7fffffff) return;
    const h = this.counters.http2;
    if (h.serverMaxStreams === null || maxStreams < h.serverMaxStreams) h.serverMaxStreams = maxStreams;
  }

  sessionEnded(tally: SessionTally): void {
    if (!this.sessions.delete(tally) || !this.counting || tally.streams === 0) return;
    const perSession = this.counters.http2.streamsPerSession;
    perSession[tally.streams] = (perSession[tally.streams] ?? 0) + 1;
  }

  streamsInFlight(inSession: number): void {
    const h = this.counters.http2;
    if (this.counting && inSession > h.peakConcurrentStreams) h.peakConcurrentStreams = inSession;
  }

  goaway(errorName: string, lastStreamId: number): void {
    if (!this.counting) return;
    const h = this.counters.http2;
    h.goaway[errorName] = (h.goaway[errorName] ?? 0) + 1;
    if (h.goawayLastStreamId === null || lastStreamId > h.goawayLastStreamId) h.goawayLastStreamId = lastStreamId;
  }

  /** A fact of the server: kept during warmup too, the first SETTINGS seen. */
  settings(values: Readonly<Record<string, number>>): void {
    const h = this.counters.http2;
    if (Object.keys(h.serverSettings).length === 0) h.serverSettings = { ...values };
  }

  headerBlock(sent: boolean, first: boolean, encodedBytes: number, plainBytes: number): void {
    if (!this.counting) return;
    const b = this.counters.http2.headerBytes[sent ? (first ? 'sentFirst' : 'sentLater') : first ? 'receivedFirst' : 'receivedLater'];
    b.blocks++;
    b.encoded += encodedBytes;
    b.plain += plainBytes;
  }

  flowControlWait(waitUs: number): void {
    if (this.counting) this.hist('flowControlWait').record(waitUs);
  }

  /** The round trip of a PING on an HTTP/2 session (the counted part of the phase only). */
  rtt(rttUs: number): void {
    if (this.counting) this.hist('rtt').record(rttUs);
  }

  streamReset(errorName: string): void {
    if (this.counting) this.counters.http2.resetStreams[errorName] = (this.counters.http2.resetStreams[errorName] ?? 0) + 1;
  }

  /** Latency so far, for the live display. */
  encodedLatency(): string | null {
    return this.latency.totalCount > 0 ? this.latency.encode() : null;
  }

  /** `endUs`: when the counted part ended (the engine's stop), not when the last socket closed. */
  final(endUs: number = nowUs()): RecorderFinal {
    // Sessions still open when the run stopped carried streams too.
    for (const tally of [...this.sessions]) this.sessionEnded(tally);
    const byStatus: Record<string, number> = {};
    this.statusCounts.forEach((n, code) => {
      if (n > 0) byStatus[String(code)] = n;
    });
    this.counters.byStatus = byStatus;
    this.histograms.set('ttfbReused', this.ttfb.minus(this.ttfbNew));
    this.histograms.set('latencyReused', this.latency.minus(this.latencyNew));
    this.histograms.set('downloadReused', this.download.minus(this.downloadNew));
    const histograms: Partial<Record<MetricName, string>> = {};
    for (const [name, h] of this.histograms) if (h.totalCount > 0) histograms[name] = h.encode();
    return {
      counters: this.counters,
      histograms,
      requestsPerConnection: this.requestsPerConnection.encode(),
      series: this.series,
      countedUs: this.counting ? endUs - this.countStartUs : 0,
    };
  }
}
