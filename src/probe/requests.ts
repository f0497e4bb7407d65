// The request bytes the checks send, all to the URL's own path, and the steps
// most checks share: open a connection, then talk on it.
import { buildRequest } from '../http1/request.js';
import { USER_AGENT } from '../version.js';
import { Conversation } from './conversation.js';
import type { ProbeContext } from './target.js';
import { openSocket } from './wire.js';

export interface ProbeRequest {
  method?: 'GET' | 'HEAD';
  versionMinor?: 0 | 1;
  /** Connection header value, or null for none */
  connection?: string | null;
  headers?: Array<[string, string]>;
}

export function requestBytes(ctx: ProbeContext, request: ProbeRequest = {}): Buffer {
  return buildRequest({
    method: request.method ?? 'GET',
    path: ctx.target.path,
    hostHeader: ctx.target.hostHeader,
    versionMinor: request.versionMinor ?? 1,
    connection: request.connection ?? null,
    headers: request.headers ?? [],
    body: null,
    userAgent: USER_AGENT,
  }).whole;
}

/** An HTTP/1.x conversation on a new connection (ALPN http/1.1 under TLS). Throws OpenError. */
export async function converse(ctx: ProbeContext, untilMs: number, capture = false): Promise<Conversation> {
  const opened = await openSocket(ctx, ['http/1.1'], untilMs);
  return new Conversation(opened.socket, capture);
}

/** "200" or "200 as HTTP/1.0" when the answer's version differs from the request's. */
export function describeStatus(statusCode: number, versionMinor: 0 | 1, askedMinor: 0 | 1 = 1): string {
  return versionMinor === askedMinor ? String(statusCode) : `${statusCode} as HTTP/1.${versionMinor}`;
}

/** "the server closed (FIN)", "the server reset the connection (RST)", "no answer within 5s"... */
export function describeEnding(conversation: Conversation, what = 'no answer'): string {
  const ending = conversation.ending;
  if (ending === null) return `${what} before the check's time ran out`;
  switch (ending.kind) {
    case 'fin':
      return ending.truncated ? 'the server closed (FIN) in the middle of a response' : 'the server closed (FIN)';
    case 'rst':
      return 'the server reset the connection (RST)';
    case 'parse-error':
      return `a reply that is not HTTP/1.x (${ending.detail ?? 'parse error'})`;
    case 'error':
      return `socket error ${ending.detail ?? ''}`.trim();
  }
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
