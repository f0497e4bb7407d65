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

/** Cleartext: what came back to the h2c preface was not an HTTP/2 SETTINGS frame; `firstBytes` are the
 *  first bytes the server sent (empty when it sent none). */
export function prefaceRejected(firstBytes: Buffer): SessionFailure {
  if (firstBytes.length === 0) {
    return { code: 'ENOH2', message: 'the server closed the connection without an HTTP/2 SETTINGS frame; it does not speak HTTP/2 (h2c prior knowledge)' };
  }
  if (firstBytes.toString('latin1').startsWith('HTTP/1.')) {
    return { code: 'EHTTP1', message: 'the server answered with HTTP/1.x; it does not speak HTTP/2 (h2c prior knowledge)' };
  }
  const shown = [...firstBytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return {
    code: 'ENOH2',
    message: `the server answered with bytes that are neither HTTP/2 nor HTTP/1.x (first bytes ${shown}); it does not speak HTTP/2 (h2c prior knowledge)`,
  };
}
