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
  /** A GOAWAY came: its error code's name and its last-stream-id. */
  goaway(errorName: string, lastStreamId: number): void;
  streamReset(errorName: string): void;
  /** A PING's round trip on a session (one when it starts, then about one a second under load), in us. */
  rtt?(rttUs: number): void;
  /** The server's SETTINGS as received (name -> value), every time a SETTINGS frame comes. */
  settings?(values: Readonly<Record<string, number>>): void;
  /** A header block went out (`sent`) or came in: its HPACK bytes against its size as HTTP/1-style
   *  text lines (name: value CRLF); `first`: the session's first block in that direction. */
  headerBlock?(sent: boolean, first: boolean, encodedBytes: number, plainBytes: number): void;
  /** A request body waited this long (us) for the server's flow-control window. */
  flowControlWait?(waitUs: number): void;
}

export const IGNORE_HTTP2: Http2Observer = {
  sessionOpened() {},
  sessionEnded() {},
  streamsInFlight() {},
  goaway() {},
  streamReset() {},
};
