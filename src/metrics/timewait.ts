// TIME_WAIT sampler (DESIGN "TIME_WAIT and local ports"), run on the main thread
// during load. Linux: `ss` (iproute2) where it runs, else /proc/net/tcp and
// /proc/net/tcp6, parsed as bytes because under port exhaustion they hold tens of
// thousands of lines. macOS: `netstat`. Elsewhere unsupported: sample() gives null,
// never a made-up zero.
import { execFile, execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isIP } from 'node:net';
import { endianness, networkInterfaces, setPriority } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { ipv6Groups } from '../transport/ip-address.js';
import { isLoopbackAddress } from './ports.js';

export interface TimeWaitCounts {
  /** Entries whose remote end is the target: this host's local ports held in TIME_WAIT. */
  client: number;
  /** Entries whose local end is the target; null unless the target is on this host. */
  server: number | null;
}

export interface TimeWaitSampler {
  readonly supported: boolean;
  readonly source: 'ss' | 'proc' | 'netstat' | null;
  /** Counts now, or null when unsupported or the table could not be read. */
  sample(): Promise<TimeWaitCounts | null>;
  /**
   * CPU (ms) the samples so far took, where it can be told apart from the run's own: `ss` runs under a
   * shell of its own that reports its children's times (`childrenMs`), and `mainMs` is what reading their
   * text took this thread. Null elsewhere, where a sample's wall time stands in.
   */
  spent(): SamplerSpent | null;
  /** Ends what the sampler keeps running between samples (ss's shell). */
  close(): void;
}

export interface SamplerSpent {
  childrenMs: number;
  mainMs: number;
}

/** What the sampler saw over a phase. */
export interface TimeWaitTrace {
  supported: boolean;
  source: string | null;
  peakClient: number | null;
  peakServer: number | null;
  last: number | null;
  /** client-side TIME_WAIT per second of the phase (the last sample of each second) */
  perSecond: Array<number | null>;
}

export interface TimeWaitTarget {
  /** An IP literal (the address the target name resolved to). */
  address: string;
  port: number;
}

export interface TimeWaitSamplerOptions {
  /** Where `net/tcp` is read: '/proc' (default), or '/proc/<pid>' for another network namespace (implies 'proc'). */
  procRoot?: string;
  /** Linux: 'ss' or 'proc'; by default `ss` when it runs here, else /proc. */
  source?: 'ss' | 'proc';
}

const TCP_TIME_WAIT = '06';
const COLON = 0x3a;
const NEWLINE = 0x0a;

export function createTimeWaitSampler(target: TimeWaitTarget, options: TimeWaitSamplerOptions = {}): TimeWaitSampler {
  const address = connectedAddress(target.address);
  const countServer = isLocalAddress(address);
  const procRoot = options.procRoot ?? '/proc';
  if (process.platform === 'linux') {
    const args = ssShellArgs(ssFilter(address, target.port, countServer), countServer ? target.port : null);
    const source = options.source ?? (options.procRoot === undefined && ssRuns(args) ? 'ss' : 'proc');
    if (source === 'ss') return createSsSampler(args, countServer);
    if (existsSync(`${procRoot}/net/tcp`)) return createProcSampler(procRoot, address, target.port, countServer);
  }
  if (process.platform === 'darwin') return createNetstatSampler(address, target.port, countServer);
  return UNSUPPORTED_SAMPLER;
}

/** Where TIME_WAIT cannot be read (or there is no TCP, as over a Unix socket): every sample is null, never a made-up zero. */
export const UNSUPPORTED_SAMPLER: TimeWaitSampler = { supported: false, source: null, sample: () => Promise.resolve(null), spent: () => null, close: () => {} };

/** The remote address the kernel records: connecting to 0.0.0.0 or :: reaches loopback. */
function connectedAddress(address: string): string {
  const family = isIP(address);
  if (family === 0) throw new TypeError(`TIME_WAIT sampler: target address "${address}" is not an IP literal`);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (address === '0.0.0.0') return '127.0.0.1';
  if (family === 6 && ipv6Groups(address).every((g) => g === 0)) return '::1';
  return address;
}

/** Loopback, or an address of one of this host's interfaces. */
export function isLocalAddress(address: string): boolean {
  if (isLoopbackAddress(address)) return true;
  const key = canonical(address);
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => canonical(i.address) === key));
}

function canonical(address: string): string {
  return isIP(address) === 6 ? ipv6Groups(address).join(':') : address;
}

// ---- Linux /proc/net/tcp[6] -------------------------------------------------

/** 4 bytes as the kernel prints them: one `%08X` of a host-order 32-bit word. */
function wordHex(bytes: number[]): string {
  const ordered = endianness() === 'LE' ? [...bytes].reverse() : bytes;
  return ordered
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

function ipv6Bytes(address: string): number[] {
  return ipv6Groups(address).flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * The target endpoint as it appears in /proc/net/tcp (`0100007F:1F90`) and /proc/net/tcp6
 * (IPv4 targets as `::ffff:a.b.c.d`); null for a table that cannot hold it.
 */
export function procEndpointPatterns(address: string, port: number): { tcp: Buffer | null; tcp6: Buffer } {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const bytes = isIP(address) === 4 ? ipv6Bytes(`::ffff:${address}`) : ipv6Bytes(address);
  const v6 = [0, 4, 8, 12].map((i) => wordHex(bytes.slice(i, i + 4))).join('');
  return {
    tcp: isIP(address) === 4 ? Buffer.from(`${wordHex(bytes.slice(12))}:${portHex}`, 'latin1') : null,
    tcp6: Buffer.from(`${v6}:${portHex}`, 'latin1'),
  };
}

function matchesAt(table: Uint8Array, at: number, pattern: Uint8Array): boolean {
  for (let i = 0; i < pattern.length; i++) if (table[at + i] !== pattern[i]) return false;
  return true;
}

/**
 * Counts TIME_WAIT lines of one /proc/net/tcp[6] table (the text in `table`, header included)
 * whose remote end (client side) or local end (server side) is `endpoint`. Lines are
 * `  sl: LOCAL REMOTE ST ...` with fixed-width hex fields, so only the offsets are compared.
 */
export function countProcTimeWait(table: Uint8Array, endpoint: Uint8Array): { client: number; server: number } {
  const buf = Buffer.from(table.buffer, table.byteOffset, table.byteLength);
  const fieldWidth = endpoint.length; // 13 in tcp, 37 in tcp6
  const stateHi = TCP_TIME_WAIT.charCodeAt(0);
  const stateLo = TCP_TIME_WAIT.charCodeAt(1);
  let client = 0;
  let server = 0;
  let lineStart = buf.indexOf(NEWLINE) + 1; // the header line
  while (lineStart > 0 && lineStart < buf.length) {
    let lineEnd = buf.indexOf(NEWLINE, lineStart);
    if (lineEnd < 0) lineEnd = buf.length;
    let colon = lineStart;
    while (colon < lineEnd && buf[colon] !== COLON) colon++;
    const local = colon + 2;
    const remote = local + fieldWidth + 1;
    const state = remote + fieldWidth + 1;
    if (state + 2 <= lineEnd && buf[state] === stateHi && buf[state + 1] === stateLo) {
      if (matchesAt(buf, remote, endpoint)) client++;
      else if (matchesAt(buf, local, endpoint)) server++;
    }
    lineStart = lineEnd + 1;
  }
  return { client, server };
}

/** Reads a whole /proc file into a buffer kept between samples (grown as needed). */
class ProcFileReader {
  private buffer = Buffer.allocUnsafe(256 * 1024);
  constructor(readonly path: string) {}

  async read(): Promise<Buffer> {
    const file = await open(this.path, 'r');
    try {
      let length = 0;
      for (;;) {
        if (length === this.buffer.length) {
          const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(bigger, 0, 0, length);
          this.buffer = bigger;
        }
        const { bytesRead } = await file.read(this.buffer, length, this.buffer.length - length, null);
        if (bytesRead === 0) return this.buffer.subarray(0, length);
        length += bytesRead;
      }
    } finally {
      await file.close();
    }
  }
}

function createProcSampler(procRoot: string, address: string, port: number, countServer: boolean): TimeWaitSampler {
  const patterns = procEndpointPatterns(address, port);
  const tables: Array<{ reader: ProcFileReader; endpoint: Buffer }> = [];
  if (patterns.tcp) tables.push({ reader: new ProcFileReader(`${procRoot}/net/tcp`), endpoint: patterns.tcp });
  // tcp6 is absent when IPv6 is disabled.
  if (existsSync(`${procRoot}/net/tcp6`)) {
    tables.push({ reader: new ProcFileReader(`${procRoot}/net/tcp6`), endpoint: patterns.tcp6 });
  }
  async function readCounts(): Promise<TimeWaitCounts | null> {
    try {
      // Sequential: each table's buffer is reused, and the parse is done before the next read.
      let client = 0;
      let server = 0;
      for (const { reader, endpoint } of tables) {
        const counts = countProcTimeWait(await reader.read(), endpoint);
        client += counts.client;
        server += counts.server;
      }
      return { client, server: countServer ? server : null };
    } catch {
      return null;
    }
  }

  return { supported: true, source: 'proc', sample: sharedWhileRunning(readCounts), spent: () => null, close: () => {} };
}

/** A slow read must not pile up samples: overlapping callers share the one in flight. */
function sharedWhileRunning<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    inFlight ??= read().finally(() => (inFlight = null));
    return inFlight;
  };
}

// ---- ss (Linux) and netstat (macOS): tools that print each socket's ends ----

/** Whether a sample runs here: `ss` is installed and may ask the kernel (a container can refuse netlink),
 *  takes `filter`, and `awk` counts its rows. Checked once, before a run. */
function ssRuns(args: string[]): boolean {
  try {
    const out = execFileSync('sh', args, { input: '\n', encoding: 'latin1', stdio: ['pipe', 'pipe', 'ignore'], timeout: 5000 });
    return ssCounts(out.split('\n')[0]) !== null;
  } catch {
    return false;
  }
}

/**
 * The `ss` filters of the client side (remote end = the target) and the server side (local end = the
 * target), each an address and a port: the kernel matches them (IPv4 targets also as `::ffff:a.b.c.d`
 * on IPv6 sockets) before `ss` formats a row. ss takes IPv6 in brackets and no scope id.
 */
export function ssFilters(address: string, port: number): { client: string; server: string } {
  const host = isIP(address) === 6 ? `[${address.split('%')[0]!}]` : address;
  return { client: `dst ${host} and dport = :${port}`, server: `src ${host} and sport = :${port}` };
}

/** The one filter a sample asks `ss` for: the client side's, or either side's when the target is on this
 *  host (one walk of the kernel's table instead of two; awk tells the sides apart). */
export function ssFilter(address: string, port: number, countServer: boolean): string {
  const { client, server } = ssFilters(address, port);
  return countServer ? `( ${client} ) or ( ${server} )` : client;
}

/** The arguments of `sh` that run SS_SHELL for `filter`; `serverPort`: the target's port when its side is
 *  counted too, else null (every row is then the client side's, whatever its local port). */
export function ssShellArgs(filter: string, serverPort: number | null): string[] {
  return ['-c', SS_SHELL, 'sh', filter, serverPort === null ? '' : String(serverPort)];
}

/**
 * `ss` asks the kernel over netlink (sock_diag), which filters by address and port before it formats
 * anything; /proc/net/tcp formats every TCP socket of the host as a line of text. Under a load that
 * opens and closes connections, with 14,000 TIME_WAIT entries, a /proc sample cost 200-900 ms of CPU
 * here and an `ss` sample 70-90 ms when this thread parsed its rows (README, "TIME_WAIT and local ports").
 *
 * `ss` runs from one shell started at the first sample, at the lowest priority: forking a small shell
 * costs little where forking this process (100 MB and more) cost about 10 ms of the main thread per
 * sample, and at nice 19 a sample runs in the time the load leaves idle instead of taking it from the
 * load. One `ss` asks for both sides (`$1`, ssFilter), and `awk` counts its rows (`#0 14072 3`: ss's exit
 * status, then the client side's rows and the server side's, those whose local end has the target's
 * port `$2` when the server side is counted), so this thread reads two short lines, not 14,000 rows
 * (that parse took 35-60 ms of the main thread a sample), and the kernel's table is walked once: a
 * sample with a nearly empty table costs 7-10 ms of CPU, where one `ss` per side cost 14-17 ms. The
 * server side is counted only for a target on this host, where a client's row does not have the
 * target's port as its own: the kernel does not hand out a port that a listener of this host holds as
 * an ephemeral one (a client that binds that port itself, on another address, would be counted on the
 * server side; connload never binds a port). For a target elsewhere that port may well be some
 * client's ephemeral port, so there every row is the client side's.
 * After each sample the shell prints `times`, its children's CPU so far: what sampling costs, which
 * paces it (the run's coordinator), where wall time would count the waits of a low priority.
 */
const SS_END = '#connload-sample-end';
const SS_SHELL = `while read -r _; do { ss -Htn state time-wait "$1"; echo "#$?"; } | awk -v port="$2" '/^#/ { print $0, c + 0, s + 0; next } port != "" && $3 ~ (":" port "$") { s++; next } { c++ }'; echo "${SS_END}"; times; done`;
/** The lowest priority (nice 19). */
const SS_PRIORITY = 19;

/** SS_SHELL's count line (`#<ss exit status> <client rows> <server rows>`), or null where ss failed. */
function ssCounts(line: string | undefined): TimeWaitCounts | null {
  const m = /^#(\d+) (\d+) (\d+)$/.exec(line ?? '');
  return m === null || m[1] !== '0' ? null : { client: Number(m[2]), server: Number(m[3]) };
}

/** `args`: ssShellArgs(); `countServer`: the target is on this host, so its side's rows are counted too. */
function createSsSampler(args: string[], countServer: boolean): TimeWaitSampler {
  let shell: ChildProcessByStdio<Writable, Readable, null> | null = null;
  let out = '';
  let waiting: ((counts: TimeWaitCounts | null) => void) | null = null;
  /** The shells' children's CPU as of their last `times`, and what reading their output took this thread. */
  const spent: SamplerSpent = { childrenMs: 0, mainMs: 0 };
  /** What the shells before this one took: `times` counts from 0 in each. */
  let earlierShellsMs = 0;

  const settle = (counts: TimeWaitCounts | null): void => {
    const resolve = waiting;
    waiting = null;
    resolve?.(counts);
  };
  /** A sample is whole once the count line, the end line and both lines of `times` (the shell's, its children's) have come. */
  const onOutput = (chunk: string): void => {
    const started = performance.now();
    out += chunk;
    const lines = out.split('\n');
    const end = lines.indexOf(SS_END);
    if (end !== -1 && lines.length > end + 3) {
      const children = shellTimesMs(lines[end + 2]!);
      if (children !== null) spent.childrenMs = earlierShellsMs + children;
      const counts = end === 1 ? ssCounts(lines[0]) : null;
      out = lines.slice(end + 3).join('\n');
      settle(counts === null ? null : { client: counts.client, server: countServer ? counts.server : null });
    }
    spent.mainMs += performance.now() - started;
  };
  const start = (): ChildProcessByStdio<Writable, Readable, null> => {
    earlierShellsMs = spent.childrenMs;
    const child = spawn('sh', args, { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      if (child.pid !== undefined) setPriority(child.pid, SS_PRIORITY);
    } catch {
      // not allowed here: it runs at our priority
    }
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', onOutput);
    // A shell that could not start or has ended fails its sample; the next sample starts another.
    const ended = (): void => {
      if (shell !== child && shell !== null) return; // a shell closed earlier: its successor is running
      shell = null;
      out = '';
      settle(null);
    };
    child.on('error', ended);
    child.on('close', ended);
    child.stdin.on('error', () => {}); // EPIPE from a shell that ended: 'close' says so
    // It ends when its stdin does: at close(), or when this process ends.
    return child;
  };
  const readCounts = () =>
    new Promise<TimeWaitCounts | null>((resolve) => {
      waiting = resolve;
      shell ??= start();
      shell.stdin.write('\n');
    });
  return {
    supported: true,
    source: 'ss',
    sample: sharedWhileRunning(readCounts),
    spent: () => spent,
    close: () => {
      shell?.stdin.end();
      shell = null;
    },
  };
}

/** The children's line of POSIX `times` ("0m1.250000s 0m0.310000s": user, system) in ms, or null. */
export function shellTimesMs(line: string): number | null {
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(line.trim());
  if (m === null) return null;
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

function createNetstatSampler(address: string, port: number, countServer: boolean): TimeWaitSampler {
  const readCounts = () =>
    new Promise<TimeWaitCounts | null>((resolve) => {
      execFile('netstat', ['-anW', '-p', 'tcp'], { maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => {
        if (error) return resolve(null);
        const counts = parseNetstatTimeWait(stdout, { address, port });
        resolve({ client: counts.client, server: countServer ? counts.server : null });
      });
    });
  return { supported: true, source: 'netstat', sample: sharedWhileRunning(readCounts), spent: () => null, close: () => {} };
}

/**
 * Counts TIME_WAIT sockets in the text of `netstat -anW -p tcp` (macOS/BSD format; -W keeps
 * IPv6 addresses from being cut to the column width:
 * `tcp4  0  0  127.0.0.1.52345  127.0.0.1.8080  TIME_WAIT`): client side when the remote end
 * is the target (a local port held), server side when the local end is.
 */
export function parseNetstatTimeWait(text: string, target: TimeWaitTarget): { client: number; server: number } {
  const address = canonical(connectedAddress(target.address));
  // Tens of thousands of rows name a handful of addresses: each spelling is parsed once.
  const isTargetHost = new Map<string, boolean>();
  const isTarget = (end: string): boolean => {
    const at = end.lastIndexOf('.');
    if (at < 0 || Number(end.slice(at + 1)) !== target.port) return false;
    const host = end.slice(0, at);
    let known = isTargetHost.get(host);
    if (known === undefined) isTargetHost.set(host, (known = hostAddress(host) === address));
    return known;
  };
  const counts = { client: 0, server: 0 };
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (!fields[0]?.startsWith('tcp') || fields[5] !== 'TIME_WAIT') continue;
    if (isTarget(fields[4] ?? '')) counts.client++;
    else if (isTarget(fields[3] ?? '')) counts.server++;
  }
  return counts;
}

/** A host as netstat prints it (`::1`, `fe80::1%lo0`), canonical; null if not an IP. */
function hostAddress(text: string): string | null {
  const host = text.split('%')[0]!;
  return isIP(host) === 0 ? null : canonical(connectedAddress(host));
}
