// The clear error for a server that does not speak HTTP/2, told apart from
// transport failures so that `--strategy multiplex` against an HTTP/1.x-only
// server says so (exit 3) instead of showing a protocol error.

export interface SessionFailure {
  code: string;
  message: string;
}

/** TLS done, but ALPN did not pick h2. */
export function alpnNotH2(alpn: string | null): SessionFailure {
  const chose = alpn === null ? 'offered no ALPN protocol' : `chose ${alpn} by ALPN`;
  return { code: 'EHTTP1', message: `the server ${chose}; it does not speak HTTP/2 over TLS (h2)` };
}

/** Cleartext: what came back to the h2c preface was not an HTTP/2 SETTINGS frame. */
export function prefaceRejected(bytesRead: number): SessionFailure {
  return bytesRead > 0
    ? { code: 'EHTTP1', message: 'the server answered with HTTP/1.x; it does not speak HTTP/2 (h2c prior knowledge)' }
    : { code: 'ENOH2', message: 'the server closed the connection without an HTTP/2 SETTINGS frame; it does not speak HTTP/2 (h2c prior knowledge)' };
}
