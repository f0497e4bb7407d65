// The URL of a target, parsed as every command reads it (run, probe), with any
// password replaced by "redacted" at the source: every output shows this URL.

/** Where a phase sends its requests, as the URL says. */
export interface TargetPlan {
  url: string;
  protocol: 'http:' | 'https:';
  hostname: string; // as in the URL, brackets removed for IPv6
  port: number;
  /** Path + query of the URL, used when no page list is given. */
  path: string;
  /** Host header value. */
  hostHeader: string;
}

// Infinity and NaN as themselves: JSON would say null
const show = (v: unknown): string => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v)));

/** A password is redacted; so is a user name that stands alone (`https://TOKEN@host/` carries a token there). */
function redactUserInfo(u: URL): void {
  if (u.password !== '') u.password = 'redacted';
  else if (u.username !== '') u.username = 'redacted';
}

/** A URL as outputs show it: a password replaced by "redacted", also in text that does not parse as a URL. */
export function displayUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.password === '' && u.username === '') return text;
    redactUserInfo(u);
    return u.toString();
  } catch {
    // Unparsed, so the password is cut out by its place: scheme://user:PASSWORD@
    return text.replace(/^([^/]*\/\/[^/@:]*:)[^/]*@/, '$1redacted@');
  }
}

export function parseTarget(url: string): TargetPlan | string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${show(displayUrl(url))} is not a URL: expected http://host[:port]/path or https://...`;
  }
  // connload sends no Authorization from the URL's user info (hostHeader is u.host): the password
  // only has to be kept out of every output, and the plan's display URL is where they all read it.
  redactUserInfo(u);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${show(u.toString())} uses ${u.protocol.replace(':', '')}: expected http or https`;
  if (u.hostname === '') return `${show(u.toString())} has no host`;
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  return {
    url: u.toString(),
    protocol: u.protocol,
    hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    path: `${u.pathname}${u.search}` || '/',
    hostHeader: u.host,
  };
}
