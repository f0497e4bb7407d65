// `connload serve`: the built-in target server, until Ctrl-C (or SIGTERM).
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { MAX_TIMER_MS } from '../plan/limits.js';
import { parseDurationMs, parseSizeBytes } from '../units.js';
import { DEFAULT_SERVER_OPTIONS, startServer, type ServerOptions, type ServerStats } from '../server/server.js';
import { FAULT_NAMES, type FaultName, type FaultRates } from '../server/types.js';
import { context } from './context.js';
import { numeric } from './run-options.js';

export interface ServeArgs {
  port: number;
  host: string;
  latency: string;
  'body-size': string;
  'keepalive-timeout': string;
  'keepalive-max'?: number;
  'close-style': string;
  chunked: boolean;
  h2c: boolean;
  tls: boolean;
  cert?: string;
  key?: string;
  'max-streams': number;
  'http10-keepalive': boolean;
  unix?: string;
  name?: string;
  fault: string[];
  stall: string;
  seed?: number;
  capacity?: number;
}

const NEVER = ['off', 'never', 'none', '0'];

function duration(option: string, value: string): number {
  const ms = parseDurationMs(value, 'ms');
  if (ms === null) throw new UsageError(`--${option}: expected a duration ("20", "20ms", "1.5s"), got "${value}"`);
  if (ms > MAX_TIMER_MS) throw new UsageError(`--${option}: expected at most ${MAX_TIMER_MS} ms, about 24.8 days (the longest delay Node's timers take), got "${value}"`);
  return ms;
}

function readPem(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`--${option}: cannot read PEM file "${file}": ${(err as Error).message}`);
  }
}

/** `--fault truncate=0.01 --fault reset=1%,stall=0.5` into rates; every name and rate checked. */
export function parseFaults(entries: string[]): FaultRates {
  const rates: FaultRates = { ...DEFAULT_SERVER_OPTIONS.faults };
  for (const entry of entries.flatMap((e) => e.split(',')).filter((e) => e.trim() !== '')) {
    const match = /^\s*([a-z]+)\s*=\s*(\d+(?:\.\d+)?)(%?)\s*$/.exec(entry);
    if (!match) throw new UsageError(`--fault: expected name=rate (e.g. truncate=0.01), got "${entry}"`);
    const name = match[1]!;
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`--fault: unknown fault "${name}", expected one of ${FAULT_NAMES.join(', ')}`);
    }
    const rate = Number(match[2]) / (match[3] ? 100 : 1);
    if (rate > 1) throw new UsageError(`--fault ${name}: expected a rate 0..1 (or 0%..100%), got "${match[2]}${match[3]}"`);
    rates[name as FaultName] = rate;
  }
  const total = FAULT_NAMES.reduce((sum, name) => sum + rates[name], 0);
  if (total > 1 + 1e-9) throw new UsageError(`--fault: expected rates adding up to at most 1, got ${total}`);
  return rates;
}

/** Command-line arguments to server options; throws UsageError naming the option at fault. */
export function serverOptionsFromArgs(given: ServeArgs): ServerOptions {
  // Number options are untyped for yargs (as run's): text that is not a number is said as given.
  const args: ServeArgs = {
    ...given,
    port: numeric(given.port)!,
    'keepalive-max': numeric(given['keepalive-max']),
    'max-streams': numeric(given['max-streams'])!,
    capacity: numeric(given.capacity),
    seed: numeric(given.seed),
  };
  const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new UsageError(`--port: expected a port 0..65535 (0 picks one), got ${show(args.port)}`);
  }
  const bodySize = parseSizeBytes(args['body-size']);
  if (bodySize === null) throw new UsageError(`--body-size: expected a size in bytes ("13", "1k", "2mb"), got "${args['body-size']}"`);
  const keepAliveText = String(args['keepalive-timeout']).trim().toLowerCase();
  const keepAliveTimeoutMs = NEVER.includes(keepAliveText) ? null : duration('keepalive-timeout', keepAliveText);
  const keepAliveMax = args['keepalive-max'];
  if (keepAliveMax !== undefined && (!Number.isInteger(keepAliveMax) || keepAliveMax < 1)) {
    throw new UsageError(`--keepalive-max: expected a number of responses >= 1, got ${show(keepAliveMax)}`);
  }
  if (args['close-style'] !== 'fin' && args['close-style'] !== 'rst') {
    throw new UsageError(`--close-style: expected fin or rst, got "${args['close-style']}"`);
  }
  const maxStreams = args['max-streams'];
  if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new UsageError(`--max-streams: expected an integer >= 1, got ${show(maxStreams)}`);
  const capacity = args.capacity;
  if (capacity !== undefined && (!Number.isInteger(capacity) || capacity < 1)) {
    throw new UsageError(`--capacity: expected a number of requests served at once >= 1, got ${show(capacity)}`);
  }
  if (args.seed !== undefined && !Number.isInteger(args.seed)) throw new UsageError(`--seed: expected an integer, got ${show(args.seed)}`);
  let tls: ServerOptions['tls'] = null;
  if (args.tls || args.cert || args.key) {
    if (!args.cert || !args.key) throw new UsageError('--tls: expected both --cert <file> and --key <file> (PEM)');
    tls = { cert: readPem('cert', args.cert), key: readPem('key', args.key) };
  }
  return {
    host: args.host,
    port: args.port,
    unix: args.unix ?? null,
    name: servedBy(args.name),
    latencyMs: duration('latency', String(args.latency)),
    bodySize,
    keepAliveTimeoutMs,
    keepAliveMax: keepAliveMax ?? null,
    closeStyle: args['close-style'],
    chunked: args.chunked,
    http10KeepAlive: args['http10-keepalive'],
    h2c: args.h2c,
    tls,
    maxConcurrentStreams: maxStreams,
    faults: parseFaults(args.fault),
    stallMs: duration('stall', String(args.stall)),
    seed: args.seed ?? null,
    capacity: capacity ?? null,
  };
}

/** A name for X-Served-By: a header value (a token, so it cannot break the response). */
function servedBy(name: string | undefined): string | null {
  if (name === undefined) return null;
  if (!/^[A-Za-z0-9._~!#$&'*+^`|-]{1,64}$/.test(name))
    throw new UsageError(`--name: expected 1-64 letters, digits or . _ - (a header value), got ${JSON.stringify(name)}`);
  return name;
}

export function describeTotals(stats: ServerStats): string {
  // The peak: held connections (connload run --interval) are counted by the server too.
  let line = `accepted ${stats.connections} connections, answered ${stats.requests} requests, peak ${stats.peakOpenConnections} open`;
  if (stats.sessions > 0) line += `, ${stats.sessions} h2 sessions`;
  const faults = FAULT_NAMES.filter((name) => stats.faults[name] > 0).map((name) => `${name}=${stats.faults[name]}`);
  if (faults.length > 0) line += `, faults ${faults.join(' ')}`;
  const q = stats.capacity;
  if (q !== undefined && q.limit !== null) {
    line += `\ncapacity ${q.limit} at once: peak in service ${q.peakInService}, peak queue ${q.peakQueue}, ${q.waited} requests waited`;
    if (q.waited > 0) line += ` (total ${formatMs(q.waitTotalMs)}, mean ${formatMs(q.waitMeanMs)})`;
    if (q.served > 0) line += `; mean service ${formatMs(q.serviceMeanMs)}`;
  }
  return line;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function builder(y: Argv): Argv<ServeArgs> {
  return y
    .option('port', { requiresArg: true, default: 8080, describe: 'port to listen on; 0 picks a free one (printed)' })
    .option('name', { type: 'string', requiresArg: true, describe: 'send X-Served-By: <name> on every response (a backend behind a balancer)' })
    .option('unix', { type: 'string', requiresArg: true, describe: 'listen on this Unix domain socket instead of --host/--port' })
    .option('host', { type: 'string', default: DEFAULT_SERVER_OPTIONS.host, describe: 'address to listen on' })
    .option('latency', { type: 'string', default: '0', describe: 'delay before each response ("20", "20ms"); per request: ?latency=MS' })
    .option('body-size', { type: 'string', default: String(DEFAULT_SERVER_OPTIONS.bodySize), describe: 'response body bytes ("1k"); per request: ?size=N' })
    .option('keepalive-timeout', { type: 'string', default: '5s', describe: 'close idle keep-alive connections after this ("off": never)' })
    .option('keepalive-max', { requiresArg: true, describe: 'send Keep-Alive: max=N and close after N responses on a connection' })
    .option('close-style', { type: 'string', choices: ['fin', 'rst'], default: 'fin', describe: 'how the server closes connections' })
    .option('chunked', { type: 'boolean', default: false, describe: 'chunked responses instead of Content-Length' })
    .option('h2c', { type: 'boolean', default: false, describe: 'also cleartext HTTP/2 with prior knowledge on the same port' })
    .option('tls', { type: 'boolean', default: false, describe: 'TLS with ALPN h2 and http/1.1 (needs --cert and --key)' })
    .option('cert', { type: 'string', describe: 'PEM certificate (chain) file for --tls' })
    .option('key', { type: 'string', describe: 'PEM private key file for --tls' })
    .option('max-streams', { requiresArg: true, default: DEFAULT_SERVER_OPTIONS.maxConcurrentStreams, describe: 'HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS' })
    .option('http10-keepalive', { type: 'boolean', default: true, describe: 'honour HTTP/1.0 Connection: keep-alive (--no-http10-keepalive: always close)' })
    .option('fault', { type: 'string', array: true, default: [] as string[], describe: 'inject faults per request: truncate|reset|stall|malformed=RATE (repeatable)' })
    .option('stall', { type: 'string', default: '10s', describe: "how long a 'stall' fault holds the response" })
    .option('capacity', { requiresArg: true, describe: 'answer at most N requests at once, the rest wait in arrival order (with --latency: at most N / latency req/s)' })
    .option('seed', { requiresArg: true, describe: 'seed of the fault randomness, for reproducible runs' })
    .example('$0 serve --port 0', 'pick a free port and print it')
    .example('$0 serve --latency 10ms --capacity 4', 'a server that serves at most 400 req/s and queues the rest')
    .example('$0 serve --keepalive-max 5 --close-style rst --fault reset=0.01', 'a server that is hard on connections') as unknown as Argv<ServeArgs>;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'the built-in target server with tunable connection behaviour',
  builder,
  handler: async (args) => {
    const server = await startServer(serverOptionsFromArgs(args));
    process.stdout.write(
      server.unix !== null ? `listening on ${server.unix} (connload run ${server.url}/ --unix-socket ${server.unix})\n` : `listening on ${server.url}\n`,
    );
    await untilAborted(context.signal);
    await server.close();
    process.stdout.write(`${describeTotals(server.stats())}\n`);
  },
};
