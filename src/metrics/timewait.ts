// TIME_WAIT sampler (DESIGN "TIME_WAIT and local ports"), run on the main thread
// during load. Linux: /proc/net/tcp and /proc/net/tcp6, parsed as bytes because
// under port exhaustion they hold tens of thousands of lines. macOS: `netstat`.
// Elsewhere unsupported: sample() gives null, never a made-up zero.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isIP } from 'node:net';
import { endianness, networkInterfaces } from 'node:os';
import { ipv6Groups } from '../plan/local-address.js';
import { isLoopbackAddress } from './ports.js';

export interface TimeWaitCounts {
  /** Entries whose remote end is the target: this host's local ports held in TIME_WAIT. */
  client: number;
  /** Entries whose local end is the target; null unless the target is on this host. */
  server: number | null;
}

export interface TimeWaitSampler {
  readonly supported: boolean;
  readonly source: 'proc' | 'netstat' | null;
  /** Counts now, or null when unsupported or the table could not be read. */
  sample(): Promise<TimeWaitCounts | null>;
}

export interface TimeWaitTarget {
  /** An IP literal (the address the target name resolved to). */
  address: string;
  port: number;
}

export interface TimeWaitSamplerOptions {
  /** Where `net/tcp` is read: '/proc' (default), or '/proc/<pid>' for another network namespace. */
  procRoot?: string;
}

const TCP_TIME_WAIT = '06';
const COLON = 0x3a;
const NEWLINE = 0x0a;

export function createTimeWaitSampler(target: TimeWaitTarget, options: TimeWaitSamplerOptions = {}): TimeWaitSampler {
  const address = connectedAddress(target.address);
  const countServer = isLocalAddress(address);
  const procRoot = options.procRoot ?? '/proc';
  if (process.platform === 'linux' && existsSync(`${procRoot}/net/tcp`)) {
    return createProcSampler(procRoot, address, target.port, countServer);
  }
  if (process.platform === 'darwin') return createNetstatSampler(address, target.port, countServer);
  return { supported: false, source: null, sample: async () => null };
}

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
  return ordered.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
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

  return { supported: true, source: 'proc', sample: sharedWhileRunning(readCounts) };
}

/** A slow read must not pile up samples: overlapping callers share the one in flight. */
function sharedWhileRunning<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    inFlight ??= read().finally(() => (inFlight = null));
    return inFlight;
  };
}

// ---- macOS netstat ----------------------------------------------------------

/** `addr.port` as netstat prints it (`127.0.0.1.8080`, `::1.8080`, `*.*`): null when not numeric. */
function splitNetstatEndpoint(text: string): { address: string; port: number } | null {
  const dot = text.lastIndexOf('.');
  const port = Number(text.slice(dot + 1));
  const address = connectedAddressOrNull(text.slice(0, dot).split('%')[0]!);
  if (dot < 0 || !Number.isInteger(port) || address === null) return null;
  return { address, port };
}

function connectedAddressOrNull(address: string): string | null {
  return isIP(address) === 0 ? null : canonical(connectedAddress(address));
}

/**
 * Counts TIME_WAIT sockets in the text of `netstat -anW -p tcp` (macOS/BSD format; -W keeps
 * IPv6 addresses from being cut to the column width:
 * `tcp4  0  0  127.0.0.1.52345  127.0.0.1.8080  TIME_WAIT`).
 */
export function parseNetstatTimeWait(text: string, target: TimeWaitTarget): { client: number; server: number } {
  const address = canonical(connectedAddress(target.address));
  let client = 0;
  let server = 0;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (!fields[0]?.startsWith('tcp') || fields[5] !== 'TIME_WAIT') continue;
    const local = splitNetstatEndpoint(fields[3] ?? '');
    const remote = splitNetstatEndpoint(fields[4] ?? '');
    if (remote && remote.address === address && remote.port === target.port) client++;
    else if (local && local.address === address && local.port === target.port) server++;
  }
  return { client, server };
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
  return { supported: true, source: 'netstat', sample: sharedWhileRunning(readCounts) };
}
