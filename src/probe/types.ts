// The probe's result document (`"schema": "connload/probe@1"`): one record per
// check, each with a verdict and the evidence for it. Names are a contract.

export const PROBE_SCHEMA_ID = 'connload/probe@1';

/** 'n/a': the check does not apply to this target (h2c over TLS, h2 in cleartext...). */
export type Verdict = 'yes' | 'no' | 'unknown' | 'n/a';

export interface CheckBase {
  verdict: Verdict;
  /** what was seen, in words: "server closed after the 100th, Connection: close" */
  evidence: string;
  /** how long the check took */
  durationMs: number;
}

export interface DnsCheck extends CheckBase {
  /** in the order the resolver gave them; the first is the one probed */
  addresses: Array<{ address: string; family: 4 | 6 }>;
  /** null when the URL gave an address */
  lookupMs: number | null;
}

export interface ConnectCheck extends CheckBase {
  address: string;
  port: number;
  /** TCP handshake: socket start to connected */
  connectMs: number | null;
}

export interface TlsCheck extends CheckBase {
  version: string | null;
  cipher: string | null;
  /** protocol chosen by ALPN from h2, http/1.1; null when the server chose none */
  alpn: string | null;
  /** connected to TLS established */
  handshakeMs: number | null;
  /** the certificate was verified (false only with --insecure) */
  authorized: boolean | null;
}

export interface VersionCheck extends CheckBase {
  statusCode: number | null;
  /** "HTTP/1.1", "HTTP/1.0" or "h2" as answered */
  answeredAs: string | null;
}

export interface KeepAliveHeaderCheck extends CheckBase {
  /** raw Keep-Alive header of a keep-alive response to HTTP/1.1, or null */
  value: string | null;
  maxRequests: number | null;
  timeoutS: number | null;
}

export type CloseKind = 'fin' | 'rst';

export interface MaxRequestsCheck extends CheckBase {
  /** responses on one connection before the server closed it, or how many were sent when the cap or --timeout came first */
  requests: number | null;
  /** false: `requests` is only a lower bound */
  limitFound: boolean;
  cap: number;
  /** how the server ended it: 'announced' = Connection: close on the last response */
  closedBy: 'announced' | CloseKind | null;
}

export interface IdleTimeoutCheck extends CheckBase {
  /** from the end of the response to the server's close */
  idleMs: number | null;
  close: CloseKind | null;
  /** how long we were ready to wait (--idle-max) */
  waitedUpToMs: number;
}

export interface KeepAliveRaceCheck extends CheckBase {
  /** the idle timeout the idle check measured, or null */
  idleTimeoutMs: number | null;
  /** how long before it each request was sent */
  marginsMs: number[];
  /** requests answered (of marginsMs.length) */
  answered: number;
}

export interface PipeliningCheck extends CheckBase {
  sent: number;
  /** complete responses received */
  answered: number;
  /** 'echo': order read from echoed X-Connload-Seq headers; 'framing': GET, HEAD, GET must frame exactly */
  orderCheckedBy: 'echo' | 'framing';
}

export interface HopByHopCheck extends CheckBase {
  /** the body echoed an end-to-end marker header: the target shows what arrived */
  echo: boolean;
  /** hop-by-hop headers sent, as "Name: value" */
  sent: string[];
  /** names of those that arrived at the target unchanged */
  arrived: string[];
}

export interface ProbeChecks {
  http11: VersionCheck;
  http10: VersionCheck;
  h2: VersionCheck;
  h2c: VersionCheck;
  persistent: CheckBase;
  keepAliveHeader: KeepAliveHeaderCheck;
  maxRequests: MaxRequestsCheck;
  idleTimeout: IdleTimeoutCheck;
  keepAliveRace: KeepAliveRaceCheck;
  http10KeepAlive: CheckBase;
  pipelining: PipeliningCheck;
  halfClose: CheckBase;
  hopByHop: HopByHopCheck;
}

export type CheckName = keyof ProbeChecks;

export interface ProbeResult {
  schema: typeof PROBE_SCHEMA_ID;
  tool: { name: string; version: string };
  target: { url: string; host: string; port: number; tls: boolean; path: string };
  startedAt: string;
  durationMs: number;
  options: { timeoutMs: number; idleMaxMs: number; insecure: boolean; servername: string | null };
  /** Ctrl-C came: unfinished checks say "unknown: interrupted" */
  interrupted: boolean;
  dns: DnsCheck;
  connect: ConnectCheck;
  /** null for http:// targets */
  tls: TlsCheck | null;
  checks: ProbeChecks;
}
