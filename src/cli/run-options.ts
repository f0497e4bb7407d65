// The run options on the command line (yargs), mapped to RunOptionsInput.
import type { Argv } from 'yargs';
import { STRATEGY_NAMES } from '../plan/types.js';
import type { RunOptionsInput } from '../plan/options.js';

export function runOptions<T>(y: Argv<T>) {
  return y
    .option('strategy', { alias: 's', type: 'string', describe: `connection strategy: ${STRATEGY_NAMES.join(', ')} (default persistent)`, group: 'Strategy' })
    .option('connections', { alias: 'c', requiresArg: true, describe: 'connections in total (default 10)', group: 'Strategy' })
    .option('depth', { requiresArg: true, describe: 'pipeline: requests in flight per connection (default 10)', group: 'Strategy' })
    .option('streams', { requiresArg: true, describe: 'multiplex: concurrent streams per HTTP/2 session (default 100)', group: 'Strategy' })
    .option('max-requests-per-connection', {
      requiresArg: true,
      describe: 'retire a connection after this many requests; a range 80-120 makes each connection draw its own',
      group: 'Strategy',
    })
    .option('max-connection-age', {
      type: 'string',
      describe: 'retire a connection after this long (e.g. 30s); a range 20s-40s makes each connection draw its own',
      group: 'Strategy',
    })
    .option('connect-rate', { requiresArg: true, describe: 'new connections per second, for every strategy (a pool grows to -c at this rate)', group: 'Load' })
    .option('interval', {
      type: 'string',
      requiresArg: true,
      describe: 'held connections: each connection sends a request this often (e.g. 10s), on its own schedule; the -c connections stay open',
      group: 'Load',
    })
    .option('idle-timeout', { type: 'string', describe: "close a pooled connection idle this long (keep it below the server's keep-alive timeout)", group: 'Strategy' })
    .option('close', {
      type: 'string',
      describe: 'who closes a retired connection: server (Connection: close), client (client FIN first), reset (RST)',
      group: 'Strategy',
    })
    .option('duration', { alias: 'd', type: 'string', describe: 'how long to run (default 10s)', group: 'Load' })
    .option('requests', { alias: 'n', requiresArg: true, describe: 'stop after this many requests', group: 'Load' })
    .option('warmup', { type: 'string', describe: 'run this long first without counting', group: 'Load' })
    .option('rate', { alias: 'r', requiresArg: true, describe: 'open model: requests per second in total', group: 'Load' })
    .option('stage', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'open model ramp, k6 style: 30s:2000,60s:2000,10s:0 (rate targets in req/s; starts from --rate or 0; the phase lasts as long as the stages)',
      group: 'Load',
    })
    .option('stage-connections', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'closed model ramp of open connections, k6 style: 30s:200,60s:200,10s:0 (starts from -c or 0; the phase lasts as long as the stages)',
      group: 'Load',
    })
    .option('start-at', {
      type: 'string',
      describe: 'start barrier: plan, wait until this ISO time or epoch ms, then start (runners on many machines start together)',
      group: 'Load',
    })
    .option('max-connections', { requiresArg: true, describe: 'open model: cap on connections (default -c)', group: 'Load' })
    .option('page', { type: 'string', describe: 'page mode: paths fetched as one iteration, e.g. /index.html,/a.png', group: 'Load' })
    .option('workers', { alias: 'w', requiresArg: true, describe: 'worker threads (default 1)', group: 'Load' })
    .option('method', { alias: 'm', type: 'string', describe: 'HTTP method (default GET)', group: 'Request' })
    .option('header', { alias: 'H', type: 'string', array: true, requiresArg: true, describe: 'request header "Name: value" (repeatable)', group: 'Request' })
    .option('body', { type: 'string', describe: 'request body', group: 'Request' })
    .option('body-file', { type: 'string', describe: 'request body from a file', group: 'Request' })
    .option('nodelay', { type: 'boolean', describe: 'TCP_NODELAY (default on; --no-nodelay turns Nagle on)', group: 'Socket' })
    .option('split-writes', { type: 'boolean', describe: 'write headers and body separately (shows Nagle + delayed ACK)', group: 'Socket' })
    .option('connect-timeout', { type: 'string', describe: 'connect timeout (default 10s)', group: 'Socket' })
    .option('timeout', { type: 'string', describe: 'response timeout (default 30s)', group: 'Socket' })
    .option('backend-header', {
      type: 'string',
      requiresArg: true,
      describe: 'response header that names the backend (e.g. X-Served-By): connections and requests per backend',
      group: 'Output',
    })
    .option('dns', {
      type: 'string',
      choices: ['first', 'round-robin', 'random'],
      describe: "which address of the name each new connection goes to (first: the system's)",
      group: 'Socket',
    })
    .option('dns-refresh', { type: 'string', requiresArg: true, describe: 're-resolve the name this often during the run (e.g. 5s)', group: 'Socket' })
    .option('resolve', { type: 'string', array: true, requiresArg: true, describe: 'pin host:port:addr[,addr] as curl does (repeatable)', group: 'Socket' })
    .option('dns-server', { type: 'string', requiresArg: true, describe: "ask this DNS server (addr[:port]) instead of the system's resolver", group: 'Socket' })
    .option('proxy', {
      type: 'string',
      requiresArg: true,
      describe: 'forward proxy http://[user:pass@]host:port (default: HTTP_PROXY / HTTPS_PROXY unless NO_PROXY)',
      group: 'Socket',
    })
    .option('unix-socket', { type: 'string', requiresArg: true, describe: 'send the requests over this Unix domain socket', group: 'Socket' })
    .option('local-address', { type: 'string', describe: 'source addresses: list, range (127.0.0.2-127.0.0.9) or CIDR', group: 'Socket' })
    .option('insecure', { alias: 'k', type: 'boolean', describe: 'do not verify TLS certificates', group: 'TLS' })
    .option('ca', { type: 'string', describe: 'PEM file of a CA to trust', group: 'TLS' })
    .option('servername', { type: 'string', describe: 'TLS SNI name', group: 'TLS' })
    .option('tls-session-reuse', { type: 'boolean', describe: 'resume TLS sessions on new connections', group: 'TLS' })
    .option('threshold', {
      alias: 't',
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'pass/fail expression, e.g. "ttfb.p99 < 50ms" (repeatable)',
      group: 'Output',
    })
    .option('sample-interval', { type: 'string', describe: 'TIME_WAIT sampling interval (default 500ms)', group: 'Output' })
    .option('runner-index', { requiresArg: true, describe: "this runner's index when several machines share the load", group: 'Load' })
    .option('runner-count', { requiresArg: true, describe: 'how many runners share the load', group: 'Load' });
}

type Parsed = Awaited<ReturnType<typeof runOptions>['argv']>;

/**
 * A number option as given (declared without a type, so yargs keeps text it cannot read as a number):
 * a number when the text is one ("8", "1e3", "Infinity"), else the text itself, so the plan's message
 * says what was given ("abc", "") instead of the NaN of yargs' number type. Text reaches the plan as
 * it is, and the plan's check names it.
 */
export const numeric = (v: unknown): number | undefined => {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.length === 1 ? numeric(v[0]) : (v.join(' ') as unknown as number);
  if (typeof v !== 'string') return v as number;
  const t = v.trim();
  return (t !== '' && !Number.isNaN(Number(t)) ? Number(t) : v) as number;
};

const numericDuration = (v: string | undefined): string | number | undefined => (v === undefined ? undefined : /^\d+(\.\d+)?$/.test(v) ? Number(v) : v);

/** Only the options the user gave: scenario defaults fill the rest. */
export function runInputFromArgs(a: Partial<Parsed>): RunOptionsInput {
  const o: RunOptionsInput = {
    strategy: a.strategy as RunOptionsInput['strategy'],
    connections: numeric(a.connections),
    depth: numeric(a.depth),
    streams: numeric(a.streams),
    maxRequestsPerConnection: numeric(a['max-requests-per-connection']),
    maxConnectionAge: numericDuration(a['max-connection-age']),
    idleTimeout: numericDuration(a['idle-timeout']),
    connectRate: numeric(a['connect-rate']),
    interval: numericDuration(a.interval),
    close: a.close as RunOptionsInput['close'],
    duration: numericDuration(a.duration),
    requests: numeric(a.requests),
    warmup: numericDuration(a.warmup),
    rate: numeric(a.rate),
    stages: a.stage,
    connectionStages: a['stage-connections'],
    startAt: a['start-at'],
    maxConnections: numeric(a['max-connections']),
    page: a.page,
    workers: numeric(a.workers),
    method: a.method,
    headers: a.header,
    body: a.body,
    bodyFile: a['body-file'],
    nodelay: a.nodelay,
    splitWrites: a['split-writes'],
    connectTimeout: numericDuration(a['connect-timeout']),
    timeout: numericDuration(a.timeout),
    unixSocket: a['unix-socket'] as string | undefined,
    proxy: a.proxy as string | undefined,
    dns: a.dns as string | undefined,
    backendHeader: a['backend-header'] as string | undefined,
    dnsRefresh: a['dns-refresh'] as string | undefined,
    resolve: a.resolve as string[] | undefined,
    dnsServer: a['dns-server'] as string | undefined,
    localAddress: a['local-address'],
    insecure: a.insecure,
    ca: a.ca,
    servername: a.servername,
    tlsSessionReuse: a['tls-session-reuse'],
    threshold: a.threshold,
    sampleInterval: a['sample-interval'] === undefined ? undefined : /^\d+$/.test(a['sample-interval']) ? `${a['sample-interval']}ms` : a['sample-interval'],
    runnerIndex: numeric(a['runner-index']),
    runnerCount: numeric(a['runner-count']),
  };
  for (const k of Object.keys(o) as Array<keyof RunOptionsInput>) if (o[k] === undefined) delete o[k];
  return o;
}

/** CLI spelling of an option key, for error messages. */
export function cliName(key: string): string {
  const special: Record<string, string> = {
    stages: '--stage',
    connectionStages: '--stage-connections',
    headers: '--header',
    localAddress: '--local-address',
    threshold: '--threshold',
    url: 'url',
  };
  return special[key] ?? `--${key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`;
}

/** The report files every command that has a result can write (run, demo, report, merge). */
export function reportFileOptions<T>(y: Argv<T>) {
  return y
    .option('html', { type: 'string', describe: 'write a self-contained HTML report', group: 'Output' })
    .option('hgrm', { type: 'string', describe: 'write HdrHistogram .hgrm files into this directory', group: 'Output' })
    .option('junit', { type: 'string', describe: 'write thresholds as JUnit XML', group: 'Output' });
}
