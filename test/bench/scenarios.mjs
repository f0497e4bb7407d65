// What the bench compares: one scenario per row group of the table. Every entry of a
// scenario runs the same workload with one tool; the ratios are the targets.
// `node-loop` is no peer but the floor: the same workload done by the least Node program
// (node-loop.mjs), so the table shows how much of a gap is connload's and how much Node's.
//   metric rps: requests per second (higher is better)
//   metric cpu: CPU time per request at a fixed rate, all threads (lower is better)
//   metric rss: peak resident memory while holding many connections (lower is better)
//   metric load: CPU seconds per second of the run, all threads (a share of one core)
//   metric burst: the busiest 50 ms of requests at the target over the mean 50 ms (1 is an even spread)
//   metric rssPerConnection: (peak RSS holding N connections - peak RSS holding 1) / connections held (lower is better)

/**
 * @param o { durationS, rates, newConnectionRate, rssConnections, rssLatencyMs, heldConnections, heldInterval, haveScript, cpus }
 * Each entry: { key, tool, label, workload, env?, pty? }; each ratio: { of, to, atLeast? , atMost? }.
 */
/** The floor beside the peers of a workload, and its ratio (reported; a target where the issue sets one). */
const floor = (workload) => ({ key: 'node-loop', tool: 'node-loop', label: 'Node net.Socket loop (floor)', workload });
const FLOOR_RATIO = { of: 'connload', to: 'node-loop' };
/** Beside a throughput ratio to the floor: what each spends per request on the CPU it got (a core that the
 *  machine's neighbours take a share of lowers the throughput, not this). Reported; the target is the throughput's. */
const FLOOR_CPU_RATIO = { of: 'connload', to: 'node-loop', field: 'cpuPerRequestUs' };

/** Cores for the load generators of the scaling scenario: core 0 is the target's. */
export const SCALING_MIN_CPUS = 4;

export function scenarios(o) {
  const d = o.durationS;
  const nginx = 'nginx';
  const persistent = { strategy: 'persistent', connections: 50, durationS: d };
  const pipeline = { strategy: 'pipeline', connections: 50, depth: 10, durationS: d };
  const multiplex = { strategy: 'multiplex', connections: 10, streams: 10, durationS: d };
  const manyOpen = { strategy: 'persistent', connections: o.rssConnections, durationS: d };
  const newConnection = { strategy: 'new-connection', connections: 50, durationS: d };
  const held = { strategy: 'persistent', connections: o.heldConnections, durationS: Math.max(d, 20) };
  return [
    {
      id: 'persistent',
      title: 'persistent -c 50 (keep-alive)',
      target: nginx,
      metric: 'rps',
      entries: [
        { key: 'connload', tool: 'connload', workload: persistent },
        { key: 'autocannon', tool: 'autocannon', workload: persistent },
        { key: 'wrk', tool: 'wrk', workload: persistent },
        floor(persistent),
      ],
      ratios: [{ of: 'connload', to: 'autocannon', atLeast: 1.5 }, { of: 'connload', to: 'wrk', atLeast: 0.9 }, { ...FLOOR_RATIO, atLeast: 0.9 }, FLOOR_CPU_RATIO],
    },
    {
      id: 'pipeline',
      title: 'pipeline --depth 10 -c 50',
      target: nginx,
      metric: 'rps',
      entries: [
        { key: 'connload', tool: 'connload', workload: pipeline },
        { key: 'autocannon', tool: 'autocannon', label: 'autocannon -p 10', workload: pipeline },
      ],
      ratios: [{ of: 'connload', to: 'autocannon', atLeast: 1.0 }],
    },
    {
      id: 'multiplex',
      title: 'multiplex -c 10 --streams 10 (h2c)',
      target: 'nginx-h2',
      metric: 'rps',
      entries: [
        { key: 'connload', tool: 'connload', workload: multiplex },
        { key: 'h2load', tool: 'h2load', label: 'h2load -m 10', workload: multiplex },
      ],
      ratios: [
        { of: 'connload', to: 'h2load', atLeast: 0.7 },
        { of: 'connload', to: 'h2load', field: 'cpuPerRequestUs', atMost: 2 },
      ],
    },
    // The built-in server's HTTP/2 (connload's own codec) as h2load sees it, beside nginx's: the server must
    // not be what limits the demo or a test (target: at least half of nginx).
    {
      id: 'builtin-h2c',
      title: 'h2load -c 10 -m 10 against connload serve --h2c and against nginx h2c',
      target: 'builtin-h2c',
      metric: 'rps',
      entries: [
        { key: 'builtin', tool: 'h2load', label: 'h2load -> connload serve --h2c', workload: multiplex },
        { key: 'nginx', tool: 'h2load', label: 'h2load -> nginx h2c', target: 'nginx-h2', workload: multiplex },
      ],
      ratios: [{ of: 'builtin', to: 'nginx', atLeast: 0.5 }],
    },
    // autocannon -R sends each connection's quota for the second at once and then idles; connload keeps
    // the schedule (a request every 1/rate s: the open model). At low rates wake-ups dominate, so two rates.
    // wrk paced by a Lua delay() shows what pacing costs a tool written in C.
    ...o.rates.map((rate) => {
      const paced = { ...persistent, rate };
      return {
        id: `cpu-${rate}`,
        title: `CPU per request at --rate ${rate} (persistent -c 50)`,
        target: nginx,
        metric: 'cpu',
        entries: [
          { key: 'connload', tool: 'connload', workload: paced },
          { key: 'autocannon', tool: 'autocannon', label: `autocannon -R ${rate}`, workload: paced },
          { key: 'wrk-paced', tool: 'wrk-paced', label: 'wrk -t1 paced by Lua delay()', workload: paced },
          floor(paced),
        ],
        ratios: [{ of: 'connload', to: 'autocannon', atMost: 1.0 }, { of: 'connload', to: 'wrk-paced' }, FLOOR_RATIO],
      };
    }),
    // The load as the server sees it at the first rate: how evenly each tool spreads its requests.
    {
      id: 'pacing',
      title: `pacing at --rate ${o.rates[0]} (persistent -c 50): the busiest 50 ms at the server`,
      target: 'pacing',
      metric: 'burst',
      entries: [
        { key: 'connload', tool: 'connload', workload: { ...persistent, rate: o.rates[0] } },
        { key: 'autocannon', tool: 'autocannon', label: `autocannon -R ${o.rates[0]}`, workload: { ...persistent, rate: o.rates[0] } },
        { key: 'wrk-paced', tool: 'wrk-paced', label: 'wrk -t1 paced by Lua delay()', workload: { ...persistent, rate: o.rates[0] } },
      ],
      ratios: [{ of: 'connload', to: 'autocannon' }],
    },
    {
      id: 'rss',
      title: `peak RSS with ${o.rssConnections} open connections (server answers after ${o.rssLatencyMs} ms)`,
      target: 'builtin',
      metric: 'rss',
      entries: [
        { key: 'connload', tool: 'connload', workload: manyOpen },
        { key: 'autocannon', tool: 'autocannon', workload: manyOpen },
        { key: 'wrk', tool: 'wrk', workload: manyOpen },
      ],
      ratios: [{ of: 'connload', absolute: true, atMost: 150 * 1024 * 1024 }],
    },
    // Holding many connections (C10K): memory per open connection, each tool's RSS at one connection taken off, over
    // the connections it held (its open descriptors beyond those at one connection). In a network namespace of the
    // bench's own (one address pair reaches 64,511 ports there), against nginx with tiny answers.
    {
      id: 'held-rss',
      title: `memory per open connection, holding ${o.heldConnections} connections (nginx in a netns)`,
      target: 'nginx-netns',
      metric: 'rssPerConnection',
      entries: [
        {
          key: 'connload',
          tool: 'connload',
          label: `connload -s persistent --interval ${o.heldInterval} --workers 1`,
          workload: { ...held, interval: o.heldInterval, workers: 1 },
        },
        { key: 'wrk', tool: 'wrk', label: 'wrk -t1', workload: held },
      ],
      ratios: [{ of: 'connload', to: 'wrk', atMost: 1.5 }],
    },
    {
      id: 'new-connection',
      title: 'new-connection -c 50 (a connection per request)',
      target: nginx,
      metric: 'rps',
      entries: [
        { key: 'connload', tool: 'connload', workload: newConnection },
        { key: 'wrk', tool: 'wrk', label: 'wrk -H "Connection: close"', workload: newConnection },
        floor(newConnection),
      ],
      // Node's own floor is 0.76-0.87x wrk on one core (README Performance): the target is connload against that
      // floor, per worker; what a user can do beyond it is more workers (the scaling scenario).
      ratios: [{ ...FLOOR_RATIO, atLeast: 0.95 }, FLOOR_CPU_RATIO, { of: 'connload', to: 'wrk' }],
    },
    // How new connections scale with threads: connload --workers N beside wrk -tN, each on N cores of their own
    // (core 0 stays the target's). Only where the machine has the cores; run.mjs says so otherwise.
    ...(o.cpus >= SCALING_MIN_CPUS
      ? [
          {
            id: 'new-connection-scaling',
            title: 'new-connection -c 100: --workers N against wrk -tN, N load cores each',
            target: nginx,
            metric: 'rps',
            entries: [2, 4]
              .filter((n) => n < o.cpus)
              .flatMap((n) => [
                {
                  key: `connload-w${n}`,
                  tool: 'connload',
                  label: `connload --workers ${n}`,
                  cores: `1-${n}`,
                  workload: { ...newConnection, connections: 100, workers: n },
                },
                { key: `wrk-t${n}`, tool: 'wrk', label: `wrk -t${n}`, cores: `1-${n}`, workload: { ...newConnection, connections: 100, threads: n } },
              ]),
            ratios: [2, 4].filter((n) => n < o.cpus).map((n) => ({ of: `connload-w${n}`, to: `wrk-t${n}` })),
          },
        ]
      : []),
    // What measuring costs, part by part: CPU per operation x how often connload does it (precise).
    {
      id: 'measuring-parts',
      title: 'measuring cost by part: TIME_WAIT sampler (with the TCP table as the runs above left it) and live display',
      target: nginx,
      metric: 'load',
      entries: [
        { key: 'sampler', tool: 'measuring-cost', label: 'TIME_WAIT sampler', workload: { part: 'sampler' } },
        { key: 'display', tool: 'measuring-cost', label: 'live display (encode, decode, p99, format)', workload: { part: 'display' } },
      ],
      ratios: [
        { of: 'sampler', absolute: true, atMost: 0.02 },
        { of: 'display', absolute: true, atMost: 0.02 },
      ],
    },
    // What measuring costs end to end: the same fixed-rate load with and without the TIME_WAIT sampler and the live
    // display; the difference in CPU, as a share of one core, is what they would take from a saturated run.
    ...[
      { strategy: 'persistent', rate: o.rates[0] },
      { strategy: 'new-connection', rate: o.newConnectionRate },
    ].map(({ strategy, rate }) => ({
      id: `measuring-${strategy}`,
      title: `measuring cost: ${strategy} -c 50 --rate ${rate}, TIME_WAIT sampler + live display vs neither`,
      target: nginx,
      metric: 'load',
      entries: [
        { key: 'off', tool: 'connload', label: 'sampler off, --quiet', env: { CONNLOAD_NO_SAMPLER: '1' }, workload: { strategy, connections: 50, rate, durationS: d } },
        {
          key: 'on',
          tool: 'connload',
          label: o.haveScript ? 'sampler on, live display on a terminal' : 'sampler on, live display on a pipe',
          pty: o.haveScript,
          workload: { strategy, connections: 50, rate, durationS: d, live: true },
        },
      ],
      ratios: [{ of: 'on', to: 'off', difference: true, atMost: 0.02 }],
    })),
  ];
}
