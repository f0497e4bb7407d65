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
import { numeric } from './run-options.js';
import { outputOptions } from './run.js';

const DEMO_STRATEGIES: StrategyName[] = ['new-connection', 'http10-keepalive', 'persistent', 'pipeline', 'multiplex'];

export const demoCommand: CommandModule = {
  command: 'demo',
  describe: 'start the built-in server and compare every connection strategy on it',
  builder: (y) =>
    outputOptions(y)
      // untyped (as run's): text that is not a number reaches the plan's message as given
      .option('requests', { alias: 'n', requiresArg: true, default: 3000, describe: 'requests per strategy' })
      .option('connections', { alias: 'c', requiresArg: true, default: 10, describe: 'connections per strategy' })
      .option('latency', { type: 'number', default: 2, describe: 'server latency in ms' })
      .example('$0 demo', 'compare the strategies against the built-in server'),
  handler: async (argv) => {
    const a = argv as unknown as OutputOptions & { requests: number; connections: number; latency: number };
    await assertOutputsWritable(a);
    const server = await startServer({ latencyMs: a.latency, h2c: true });
    let doc: ResultDocument;
    try {
      const plans = DEMO_STRATEGIES.filter((s) => strategyFor(s) !== undefined).map((strategy) =>
        buildPhasePlan({
          name: strategy,
          url: `${server.url}/`,
          options: { strategy, connections: numeric(a.connections), requests: numeric(a.requests), duration: '30s', depth: 10, streams: 10 },
          bodyFileBytes: null,
          caPem: null,
          where: (k) => `--${k}`,
        }),
      );
      process.stderr.write(`connload demo: built-in server on ${server.url} with ${a.latency} ms of latency per response\n`);
      doc = await executePlans(plans, { ...a, comparisonOnly: true }, context.signal);
    } finally {
      await server.close();
    }
    const s = server.stats();
    process.stdout.write(`The server accepted ${s.connections} connections and answered ${s.requests} requests.\n\n${explain(doc.phases)}\n`);
  },
};

/** What the table shows, in the chapter's words, with this run's numbers. */
export function explain(phases: PhaseResult[]): string {
  const by = (name: string): PhaseResult | undefined => phases.find((p) => p.strategy === name);
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
  if (ka) lines.push(`- http10-keepalive: HTTP/1.0 asks "Connection: Keep-Alive" and reuses only when the server says so too; here reuse ${ka.connections.reuseRatio}${ka.connections.keepAliveHeader ? `, server header "Keep-Alive: ${ka.connections.keepAliveHeader}"` : ''} (4.5.2-4.5.5).`);
  const pipe = by('pipeline');
  if (pipe) lines.push(`- pipeline keeps ${pipe.options.depth} requests in flight per connection, so the server's latency overlaps: ${Math.round(pipe.requests.perSecond)} req/s (4.6).`);
  const mux = by('multiplex');
  if (mux) lines.push(`- multiplex runs ${mux.options.streams} HTTP/2 streams on each connection: ${Math.round(mux.requests.perSecond)} req/s over ${mux.connections.opened} connections.`);
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

function ratio(a: PhaseResult, b: PhaseResult): string {
  const x = a.requests.perSecond / Math.max(1, b.requests.perSecond);
  return `Same server, same requests: persistent did ${x.toFixed(1)}x the requests per second of new-connection.`;
}
