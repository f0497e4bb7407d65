// Prebuilt request bytes: built once per phase and path, written as they are.

export interface RequestSpec {
  method: string;
  path: string;
  hostHeader: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 */
  versionMinor: 0 | 1;
  /** Value of the Connection header, or null for none. */
  connection: string | null;
  headers: Array<[string, string]>;
  body: Uint8Array | null;
  userAgent: string;
}

/** The head and the body apart, so `--split-writes` can send them in two writes (4.2.4). */
export interface RequestBytes {
  head: Buffer;
  body: Buffer | null;
  /** head and body in one buffer, for the usual single write */
  whole: Buffer;
}

export function buildRequest(spec: RequestSpec): RequestBytes {
  const given = new Set(spec.headers.map(([name]) => name.toLowerCase()));
  const lines = [`${spec.method} ${spec.path} HTTP/1.${spec.versionMinor}`];
  if (!given.has('host')) lines.push(`Host: ${spec.hostHeader}`);
  if (!given.has('user-agent')) lines.push(`User-Agent: ${spec.userAgent}`);
  if (!given.has('accept')) lines.push('Accept: */*');
  for (const [name, value] of spec.headers) {
    // The strategy owns the Connection header: it decides reuse (4.3.1, hop-by-hop).
    if (name.toLowerCase() === 'connection') continue;
    lines.push(`${name}: ${value}`);
  }
  if (spec.connection !== null) lines.push(`Connection: ${spec.connection}`);
  if (spec.body !== null && !given.has('content-length')) lines.push(`Content-Length: ${spec.body.byteLength}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  const body = spec.body === null ? null : Buffer.from(spec.body);
  return { head, body, whole: body === null ? head : Buffer.concat([head, body]) };
}

/** 4.7.2: methods that may be pipelined and retried after a close. */
export const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}
