// Forward proxies (--proxy, HTTP_PROXY, HTTPS_PROXY, NO_PROXY): pure parsing; the
// caller hands in the environment. https targets go through a CONNECT tunnel,
// http targets as absolute-form requests to the proxy (4.5.6).
import { displayUrl } from './target.js';

export interface ProxyPlan {
  /** the proxy's URL with any password redacted, for reports */
  url: string;
  host: string;
  port: number;
  /** `Basic ...` from the URL's user and password, or null; sent to the proxy only, never shown */
  authorization: string | null;
}

/** The host and port every connection of a phase dials first: the proxy's when there is one. */
export function firstHop(plan: { target: { hostname: string; port: number }; proxy: ProxyPlan | null }): { host: string; port: number } {
  return plan.proxy ?? { host: plan.target.hostname, port: plan.target.port };
}

/** Parses a proxy URL (`http://[user:pass@]host:port`); a string is what is wrong with it. */
export function parseProxy(url: string): ProxyPlan | string {
  let u: URL;
  try {
    u = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    return `expected a proxy URL like http://host:port or http://user:pass@host:port, got ${JSON.stringify(displayUrl(url))}`;
  }
  if (u.protocol !== 'http:') return `expected an http:// proxy (connload speaks to proxies in cleartext), got ${u.protocol.replace(':', '')}`;
  if (u.hostname === '') return 'expected a proxy URL with a host';
  if (u.pathname !== '/' || u.search !== '') return `expected a proxy URL without a path, got ${JSON.stringify(`${u.pathname}${u.search}`)}`;
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  const authorization = user === '' && password === '' ? null : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  if (u.password !== '') u.password = 'redacted';
  return {
    url: u.toString().replace(/\/$/, ''),
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? 80 : Number(u.port),
    authorization,
  };
}

/** The proxy the environment gives for a target, as curl reads it: HTTPS_PROXY for https, HTTP_PROXY for
 *  http (lower case first), unless NO_PROXY names the host (`*`, a name, `.domain` or `domain` suffix, an
 *  address, each optionally with `:port`). */
export function proxyFromEnv(target: { protocol: string; hostname: string; port: number }, env: Record<string, string | undefined>): string | undefined {
  const pick = (name: string): string | undefined => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
  const proxy = target.protocol === 'https:' ? pick('https_proxy') : pick('http_proxy');
  if (proxy === undefined) return undefined;
  return bypassed(target, pick('no_proxy') ?? '') ? undefined : proxy;
}

function bypassed(target: { hostname: string; port: number }, noProxy: string): boolean {
  const host = target.hostname.toLowerCase();
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const portMatch = /^(.*):(\d+)$/.exec(entry);
    if (portMatch && !entry.endsWith(']') && portMatch[1]!.includes(':') === false) {
      if (Number(portMatch[2]) !== target.port) continue;
      entry = portMatch[1]!;
    }
    entry = entry.replace(/^\[(.*)\]$/, '$1').replace(/^\*?\./, '');
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}
