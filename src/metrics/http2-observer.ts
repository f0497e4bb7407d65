// What an HTTP/2 session tells the metrics about itself. The worker's Recorder
// implements it; it decides what is counted (not during warmup). Defined here, below
// the protocols, so that metrics/ takes nothing from http2/.

/** Per-session facts the recorder folds in when the session ends (or the run does). */
export interface SessionTally {
  /** streams opened for counted requests */
  streams: number;
}

export interface Http2Observer {
  /** The server's SETTINGS arrived; `maxStreams` is its SETTINGS_MAX_CONCURRENT_STREAMS (0xffffffff when unlimited). */
  sessionOpened(tally: SessionTally, maxStreams: number): void;
  sessionEnded(tally: SessionTally): void;
  /** A stream started; `inSession` streams are now in flight on its session. */
  streamsInFlight(inSession: number): void;
  goaway(errorName: string): void;
  streamReset(errorName: string): void;
  /** A PING's round trip on a session (one when it starts, then about one a second under load), in us. */
  rtt?(rttUs: number): void;
}

export const IGNORE_HTTP2: Http2Observer = {
  sessionOpened() {},
  sessionEnded() {},
  streamsInFlight() {},
  goaway() {},
  streamReset() {},
};
