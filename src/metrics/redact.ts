// Secrets never reach a report (DESIGN "Safety"): Authorization, Cookie,
// Proxy-Authorization and headers named like secrets; a URL's password.

const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|api[-_]?key|password/i;

/** Header values of secret-looking names replaced by `[redacted]`, in order. */
export function redactHeaders(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.map(([name, value]) => [name, SECRET_HEADERS.test(name) ? '[redacted]' : value]);
}

/** The URL with its password replaced; as given when it does not parse. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return url;
  }
}
