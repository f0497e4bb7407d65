// Types shared by the HTTP/1.x response parser and its users (re-exported by response-parser.ts).

export type BodyKind = 'none' | 'length' | 'chunked' | 'close';

/**
 * The parsed head of a final response. The parser reuses one object per parser:
 * it is only valid during `onHeaders`; copy what you need.
 */
export interface ResponseHead {
  statusCode: number;
  versionMinor: 0 | 1; // HTTP/1.0 -> 0, HTTP/1.1 -> 1
  /** May the connection be reused after this response? HTTP/1.1: unless `Connection: close`.
   *  HTTP/1.0: only with `Connection: keep-alive` (case-insensitive token in a comma list).
   *  Always false when the body is delimited by close. */
  keepAlive: boolean;
  /** keepAlive for a response that carries no body whatever its headers say (the request was HEAD):
   *  a missing length does not force a close there. Still false for Connection: close, HTTP/1.0
   *  without keep-alive, Transfer-Encoding with Content-Length or in HTTP/1.0, and 101. */
  keepAliveWithoutBody: boolean;
  connectionHeader: string | null; // raw value of Connection (several lines joined by ", "), or null
  keepAliveHeader: string | null; // raw value of Keep-Alive, e.g. "timeout=5, max=100", or null
  keepAliveMax: number | null; // parsed max=, or null
  keepAliveTimeoutS: number | null; // parsed timeout=, or null
  /** How the body is delimited. 101 Switching Protocols: 'close' (the rest of the stream is not HTTP/1). */
  bodyKind: BodyKind;
  contentLength: number; // the Content-Length header value, -1 when not given (bodyKind decides framing)
  /** value of the header the run watches (--backend-header), or null */
  watchedValue: string | null;
}

export interface ParserEvents {
  /** The first byte of a response arrived (any response, including an interim 1xx). */
  onMessageBegin(): void;
  /** An interim 1xx response (100 Continue, 103 Early Hints) was parsed and skipped. */
  onInformational(statusCode: number): void;
  /** Final response head parsed. Return true when this response has no body whatever its headers say
   *  (the request was HEAD); the parser then completes the message right away. 204, 304 have no body on their own. */
  onHeaders(head: ResponseHead): boolean;
  /** The response is complete (body fully read). */
  onMessageComplete(): void;
}

export type ParseErrorCode = 'parse-error';

export function createResponseHead(): ResponseHead {
  return {
    statusCode: 0,
    versionMinor: 1,
    keepAlive: false,
    keepAliveWithoutBody: false,
    connectionHeader: null,
    keepAliveHeader: null,
    keepAliveMax: null,
    keepAliveTimeoutS: null,
    bodyKind: 'none',
    contentLength: -1,
    watchedValue: null,
  };
}
