// Request header fields of a stream, built once per path: pseudo-headers, then
// the user's headers. Connection-specific headers do not exist in HTTP/2
// (RFC 9113 8.2.2), so they are left out, as the HTTP/1 strategies own theirs.
// Field names are lowercase (8.2.1).

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

export type HeaderField = [name: string, value: string];

export function buildStreamHeaders(spec: StreamHeadersSpec): HeaderField[] {
  let authority = spec.authority;
  const fields: HeaderField[] = [];
  const seen = new Set<string>();
  for (const [rawName, value] of spec.headers) {
    const name = rawName.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name)) continue;
    if (name === 'host') {
      authority = value;
      continue;
    }
    seen.add(name);
    fields.push([name, value]);
  }
  if (!seen.has('user-agent')) fields.push(['user-agent', spec.userAgent]);
  if (!seen.has('accept')) fields.push(['accept', '*/*']);
  if (spec.bodyBytes !== null && !seen.has('content-length')) fields.push(['content-length', String(spec.bodyBytes)]);
  return [[':method', spec.method], [':scheme', spec.scheme], [':authority', authority], [':path', spec.path], ...fields];
}
