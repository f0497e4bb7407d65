// `connload demo`: the built-in server in-process and the chapter's comparison
// on it, so a new user sees why connections are reused, with nothing to set up.
import type { CommandModule } from 'yargs';
import type { PhaseResult, ResultDocument } from '../metrics/result.js';
import { buildPhasePlan } from '../plan/build-plan.js';
import type { StrategyName } from '../plan/types.js';
import { startServer } from '../server/server.js';
import { strategyFor } from '../strategies/index.js';
import { context } from './context.js';
import { executePlans, type OutputOptions } from './execute.js';
import { assertOutputsWritable } from './output-paths.js';
import { outputOptions } from './run.js';

/**
 * The chapter's comparison at the same number of requests in flight: the HTTP/1.x strategies with that
 * many connections, pipelining and HTTP/2 with that many on one connection. Multiplexing gets the
 * concurrency with fewer connections; the numbers say at what cost or gain.
 */
interface DemoPhase {
  name: string;
  strategy: StrategyName;
  /** run options for `inFlight` requests in flight */
  options(inFlight: number): Record<string, number>;
}

const DEMO_PHASES: DemoPhase[] = [
  { name: 'new-connection', strategy: 'new-connection', options: (n) => ({ connections: n }) },
  { name: 'http10-keepalive', strategy: 'http10-keepalive', options: (n) => ({ connections: n }) },
  { name: 'persistent', strategy: 'persistent', options: (n) => ({ connections: n }) },
  { name: 'pipeline', strategy: 'pipeline', options: (n) => ({ connections: 1, depth: n }) },
  { name: 'multiplex', strategy: 'multiplex', options: (n) => ({ connections: 1, streams: n }) },
];

export const demoCommand: CommandModule = {
  command: 'demo',
  describe: 'start the built-in server and compare every connection strategy on it',
  builder: (y) =>
    outputOptions(y)
      .option('requests', { alias: 'n', type: 'number', default: 3000, describe: 'requests per strategy' })
      .option('connections', {
        alias: 'c',
        type: 'number',
        default: 10,
        describe:
          'requests in flight per strategy: connections for new-connection, http10-keepalive and persistent; --depth of one pipelined connection; --streams of one HTTP/2 session',
      })
      .option('latency', { type: 'number', default: 2, describe: 'server latency in ms' })
      .example('$0 demo', 'compare the strategies against the built-in server'),
  handler: async (argv) => {
    const a = argv as unknown as OutputOptions & { requests: number; connections: number; latency: number };
    await assertOutputsWritable(a);
    const server = await startServer({ latencyMs: a.latency, h2c: true });
    let doc: ResultDocument;
    const phases = DEMO_PHASES.filter((p) => strategyFor(p.strategy) !== undefined);
    try {
      const plans = phases.map((phase) =>
        buildPhasePlan({
          name: phase.name,
          url: `${server.url}/`,
          options: { strategy: phase.strategy, requests: a.requests, duration: '30s', ...phase.options(a.connections) },
          bodyFileBytes: null,
          caPem: null,
          where: (k) => `--${k}`,
        }),
      );
      process.stderr.write(
        `connload demo: built-in server on ${server.url} with ${a.latency} ms of latency per response, ${a.connections} requests in flight for every strategy\n`,
      );
      doc = await executePlans(plans, { ...a, comparisonOnly: true }, context.signal);
    } finally {
      await server.close();
    }
    const s = server.stats();
    const byName = new Map(doc.phases.map((p) => [p.name, p]));
    process.stdout.write(`The server accepted ${s.connections} connections and answered ${s.requests} requests.\n\n${explain(byName, a.connections)}\n`);
  },
};

/** What the table shows, in the chapter's words, with this run's numbers. */
export function explain(phases: Map<string, PhaseResult>, inFlight: number): string {
  const by = (name: string): PhaseResult | undefined => phases.get(name);
  const lines = ['What this shows (HTTP: The Definitive Guide, chapter 4, connection management):'];
  const fresh = by('new-connection');
  const kept = by('persistent');
  if (fresh && kept) {
    lines.push(
      `- new-connection opened ${fresh.connections.opened} TCP connections for ${fresh.requests.completed} requests: every request paid a handshake (connect p50 ${fresh.metrics.connect?.p50 ?? '-'} ms) and left a connection in TIME_WAIT: ${fresh.ports.timeWaitPeakServer ?? '-'} at the peak on the server, which closed first (4.2.3, 4.2.7).`,
      `- persistent opened ${kept.connections.opened} for ${kept.requests.completed} (reuse ratio ${kept.connections.reuseRatio}): after the first request on each, no set-up at all (4.5).`,
      `  ${ratio(kept, fresh)}`,
    );
  }
  const ka = by('http10-keepalive');
  if (ka)
    lines.push(
      `- http10-keepalive: HTTP/1.0 asks "Connection: Keep-Alive" and reuses only when the server says so too; here reuse ${ka.connections.reuseRatio}${ka.connections.keepAliveHeader ? `, server header "Keep-Alive: ${ka.connections.keepAliveHeader}"` : ''} (4.5.2-4.5.5).`,
    );
  // Pipelining and HTTP/2 get the same concurrency on one connection: what that cost or gained, in words
  // that follow the numbers.
  const pipe = by('pipeline');
  if (pipe && kept)
    lines.push(
      `- pipeline kept ${inFlight} requests in flight on ${describeConnections(pipe)}, so the server's latency overlaps (4.6): ${compare(pipe, kept, inFlight)}.`,
    );
  const mux = by('multiplex');
  if (mux && kept) lines.push(`- multiplex ran ${inFlight} HTTP/2 streams on ${describeConnections(mux)} (4.3.2, taken to HTTP/2): ${compare(mux, kept, inFlight)}.`);
  // The lab scenarios, each with the claim it reproduces (test/lab/chapter.test.ts runs them).
  const labScenarios = [
    ['scenarios/lab-handshake.json', '4.2.3 the handshake is half a small transaction; persistent halves latency'],
    ['scenarios/lab-slow-start.json', '4.2.5 a large response is several times slower on a fresh connection'],
    ['scenarios/lab-nagle-delayed-ack.json', '4.2.4/4.2.6 Nagle and delayed ACK stall a split POST by tens of ms'],
    ['scenarios/lab-page-load.json', '4.3-4.6 one page, three images: serial, parallel, persistent, pipelined, h2'],
    ['scenarios/lab-time-wait.json', '4.2.7 TIME_WAIT grows at the new-connection rate and stays for 60 s'],
  ];
  lines.push(
    '',
    'On loopback a round trip takes about 0.1 ms, so here the gaps are mostly CPU work. Over a real network every',
    'new connection costs a full round trip, and these effects of the chapter show only with one. Each has a',
    'scenario: run `connload serve --h2c` on a host a few milliseconds away, then `TARGET=http://<host>:8080',
    'connload run <file>` (see "Network lab" in the README; its tests run them at 20 ms):',
    ...labScenarios.map(([file, claim]) => `  ${file.padEnd(38)}${claim}`),
  );
  return lines.join('\n');
}

function describeConnections(p: PhaseResult): string {
  return p.connections.opened === 1 ? 'one connection' : `${p.connections.opened} connections`;
}

/** "1.3x the requests per second of persistent with 10 connections (ttfb p50 2.1 ms against 2.2 ms)", or "about the same ..." */
function compare(p: PhaseResult, kept: PhaseResult, inFlight: number): string {
  const x = p.requests.perSecond / Math.max(1, kept.requests.perSecond);
  const how = x > 0.9 && x < 1.1 ? 'about the requests per second of' : `${x.toFixed(1)}x the requests per second of`;
  const ttfb = (r: PhaseResult): string => (r.metrics.ttfb ? `${r.metrics.ttfb.p50.toFixed(2)} ms` : '-');
  const fewer = kept.connections.opened - p.connections.opened;
  return `${how} persistent with ${inFlight} connections (ttfb p50 ${ttfb(p)} against ${ttfb(kept)})${fewer > 0 ? `, with ${fewer} fewer connections` : ''}`;
}

function ratio(a: PhaseResult, b: PhaseResult): string {
  const x = a.requests.perSecond / Math.max(1, b.requests.perSecond);
  return `Same server, same requests: persistent did ${x.toFixed(1)}x the requests per second of new-connection.`;
}
