// What every check is given: the one target (an address already resolved, so
// no check looks the name up again), its TLS settings and the time limits.
import { performance } from 'node:perf_hooks';

export interface ProbeTlsOptions {
  /** SNI name and the name the certificate must match; null for an IP literal without --servername */
  servername: string | null;
  /** PEM text of --ca */
  ca: string | null;
  insecure: boolean;
}

export interface ProbeTarget {
  url: string;
  /** host name (or address) as written in the URL */
  host: string;
  /** the address every check connects to: the URL's own address or the first one DNS gave */
  address: string;
  port: number;
  /** path and query sent in every request */
  path: string;
  hostHeader: string;
  tls: ProbeTlsOptions | null;
}

export interface ProbeContext {
  target: ProbeTarget;
  /** bound of each check */
  timeoutMs: number;
  /** how long the idle check waits for the server to close */
  idleMaxMs: number;
  /** Ctrl-C: checks stop and report what they have */
  signal: AbortSignal;
}

/** Monotonic milliseconds; deadlines are absolute values of this clock. */
export function nowMs(): number {
  return performance.now();
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** "5s", "250ms" for evidence text. */
export function showMs(ms: number): string {
  // Rounded first: 999.6 ms is "1s", not "1000ms".
  const whole = Math.round(ms);
  return whole >= 1000 && whole % 1000 === 0 ? `${whole / 1000}s` : whole >= 1000 ? `${(whole / 1000).toFixed(1)}s` : `${whole}ms`;
}
