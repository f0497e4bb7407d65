// Request headers of a stream, built once per path: pseudo-headers, then the
// user's headers. Connection-specific headers do not exist in HTTP/2
// (RFC 9113 8.2.2), so they are left out, as the HTTP/1 strategies own theirs.
import type { OutgoingHttpHeaders } from 'node:http2';

const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export interface StreamHeadersSpec {
  method: string;
  scheme: 'http' | 'https';
  /** Host header of the plan, :authority here */
  authority: string;
  path: string;
  headers: Array<[string, string]>;
  bodyBytes: number | null;
  userAgent: string;
}

export function buildStreamHeaders(spec: StreamHeadersSpec): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': spec.method, ':scheme': spec.scheme, ':authority': spec.authority, ':path': spec.path };
  for (const [rawName, value] of spec.headers) {
    const name = rawName.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name)) continue;
    if (name === 'host') {
      out[':authority'] = value;
      continue;
    }
    const seen = out[name];
    out[name] = seen === undefined ? value : ([] as string[]).concat(seen as string | string[], value);
  }
  out['user-agent'] ??= spec.userAgent;
  out.accept ??= '*/*';
  if (spec.bodyBytes !== null) out['content-length'] ??= spec.bodyBytes;
  return out;
}
