// `npm run bench`: connload against autocannon, wrk and h2load on the same workloads,
// in alternation, several rounds each; prints medians and ratios and writes them as JSON.
//   npm run bench -- --rounds 3 --duration 5s --rate 10000,40000 --only persistent,pipeline --json out.json --markdown
// The load generators run on core 1 and the targets on core 0 (taskset), so that on a
// 2-core machine each tool gets the same single core. Not part of `npm test`.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatMarkdown, formatTable, summarizeScenario, unmet } from './report.mjs';
import { reachableFileLimit, runMeasured, sleep } from './measure.mjs';
import { SCALING_MIN_CPUS, scenarios } from './scenarios.mjs';
import { NGINX_BIN, startBuiltinServer, startNginx, startNginxInNetns, startPacingTarget } from './targets.mjs';
import { findTools, nginxVersion, TOOLS } from './tools.mjs';

const LOAD_CORES = '1';
const TARGET_CORES = '0';
const PAUSE_BETWEEN_RUNS_MS = 1000;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5s' },
      rate: { type: 'string', default: '10000,40000' },
      'new-connection-rate': { type: 'string', default: '5000' },
      'rss-connections': { type: 'string', default: '10000' },
      'rss-latency': { type: 'string', default: '1000' },
      'held-connections': { type: 'string', default: '50000' },
      'held-interval': { type: 'string', default: '10s' },
      only: { type: 'string' },
      json: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const int = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got "${values[name]}"`);
    return n;
  };
  const durationMatch = /^(\d+)(s?)$/.exec(values.duration);
  if (!durationMatch || Number(durationMatch[1]) < 3) throw new Error(`--duration: expected whole seconds >= 3 ("5s"), got "${values.duration}"`);
  const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
  return {
    help: values.help,
    rounds: int('rounds', 1),
    durationS: Number(durationMatch[1]),
    rates: values.rate.split(',').map((r) => {
      const n = Number(r);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--rate: expected requests per second (or a list: 10000,40000), got "${r}"`);
      return n;
    }),
    newConnectionRate: int('new-connection-rate', 1),
    rssConnections: int('rss-connections', 1),
    rssLatencyMs: int('rss-latency', 0),
    heldConnections: int('held-connections', 2),
    heldInterval: values['held-interval'],
    only: values.only ? values.only.split(',').map((s) => s.trim()) : null,
    json: values.json ?? path.join('test/bench/results', `${stamp}.json`),
    markdown: values.markdown,
  };
}

const shellQuote = (argv) => argv.map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');

/**
 * How evenly a run spread its requests over time, from the pacing target's 50 ms windows: the
 * busiest window of the steady part (after the first second, before the last half second) over
 * the mean window. 1 is an even spread; a tool that sends each second's quota at once is far above.
 */
function burstiness({ windowMs, counts }) {
  const steady = counts.slice(Math.ceil(1000 / windowMs), counts.length - Math.ceil(500 / windowMs));
  const total = steady.reduce((a, b) => a + b, 0);
  return total === 0 ? null : Math.max(...steady) / (total / steady.length);
}

/**
 * Memory per open connection: the tool holding 1 connection, then N; (peak RSS at N - at 1) over the
 * connections it held (its open descriptors at N beyond those at 1).
 */
async function runPerConnection(scenario, entry, url, target) {
  const one = await runEntry({ ...scenario, metric: 'rss' }, { ...entry, workload: { ...entry.workload, connections: 1 } }, url, target);
  if (one.value === null) return one;
  await sleep(PAUSE_BETWEEN_RUNS_MS);
  const many = await runEntry({ ...scenario, metric: 'rss' }, entry, url, target);
  if (many.value === null) return many;
  const held = many.peakFds - one.peakFds;
  const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
  const asked = entry.workload.connections;
  return {
    ...many,
    value: held > 0 ? (many.peakRssBytes - one.peakRssBytes) / held : null,
    failure: held > 0 ? undefined : `no connection held (${many.peakFds} fds at ${asked}, ${one.peakFds} at 1)`,
    detail: `${held.toLocaleString('en-US')} of ${asked.toLocaleString('en-US')} held: ${mb(many.peakRssBytes)}, ${mb(one.peakRssBytes)} at 1`,
  };
}

/** One run of one entry: its value in the scenario's metric, or null with the reason. */
async function runEntry(scenario, entry, url, target) {
  if (scenario.metric === 'rssPerConnection') return runPerConnection(scenario, entry, url, target);
  const tool = TOOLS[entry.tool];
  if (scenario.metric === 'burst') await target.take(); // what came before this run is not its own
  const spec = tool.argv({ ...entry.workload, url });
  let argv = spec.argv;
  // A pseudo-terminal, so that connload draws its live display as on a terminal.
  if (entry.pty) argv = ['script', '-qfec', shellQuote(argv), '/dev/null'];
  // A target in a network namespace: the tool runs there too (ip netns exec execs it: same PID).
  if (target?.prefix) argv = [...target.prefix, ...argv];
  const durationMs = (entry.workload.durationS ?? 0) * 1000;
  const m = await runMeasured(argv, {
    cores: entry.cores ?? LOAD_CORES,
    env: { NO_COLOR: '1', ...(target?.fileLimit ? { BENCH_NOFILE: String(target.fileLimit) } : {}), ...entry.env },
    cpuWindowMs: durationMs > 0 ? [1500, durationMs - 500] : null,
    measure: entry.pty ? 'node-descendant' : 'self',
    timeoutMs: durationMs + 60_000,
  });
  let parsed;
  try {
    parsed = tool.parse({ stdout: m.stdout, out: spec.out });
  } catch (err) {
    return { value: null, failure: `exit ${m.code}: ${String(err.message).slice(0, 200)} ${m.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  }
  const cpuPerRequestUs = m.cpu && parsed.rps > 0 ? ((m.cpu.user + m.cpu.system) / (parsed.rps * m.cpu.windowS)) * 1e6 : null;
  const load = m.cpu ? (m.cpu.user + m.cpu.system) / m.cpu.windowS : null;
  const burst = scenario.metric === 'burst' ? burstiness(await target.take()) : null;
  // A tool may measure the value itself (measuring-cost.mjs); otherwise it comes from the run.
  const value = parsed.value ?? { rps: parsed.rps, cpu: cpuPerRequestUs, rss: m.peakRssBytes, load, burst }[scenario.metric];
  return {
    value,
    rps: parsed.rps,
    errors: parsed.errors,
    cpuPerRequestUs,
    peakFds: m.peakFds,
    peakRssBytes: m.peakRssBytes,
    exit: m.code,
    detail: parsed.detail ?? null,
  };
}

function describeRun(scenario, entry, round, r) {
  const at = `at ${Math.round(r.rps)} req/s`;
  const what = {
    rss: () => `${(r.value / 1048576).toFixed(0)} MB peak RSS, ${r.peakFds} fds`,
    rssPerConnection: () => `${(r.value / 1024).toFixed(2)} KB per open connection (${r.detail})`,
    cpu: () => `${r.value.toFixed(2)} us/req ${at}`,
    load: () => `${(r.value * 100).toFixed(2)}% of a core ${r.detail ?? at}`,
    burst: () => `busiest 50 ms ${r.value.toFixed(2)}x the mean ${at}`,
    rps: () => `${Math.round(r.value)} req/s${r.cpuPerRequestUs ? `, ${r.cpuPerRequestUs.toFixed(2)} us CPU/req` : ''}`,
  }[scenario.metric];
  const errors = r.errors ? `, ${r.errors} errors` : '';
  return `[${scenario.id} ${round + 1}] ${entry.label ?? entry.key}: ${r.value === null ? `FAILED ${r.failure}` : what() + errors}`;
}

async function main() {
  const o = parseOptions();
  if (o.help) {
    console.log(
      'npm run bench -- [--rounds 3] [--duration 5s] [--rate 10000,40000] [--new-connection-rate 5000] [--rss-connections 10000] [--rss-latency 1000] [--held-connections 50000] [--held-interval 10s] [--only id,...] [--json file] [--markdown]',
    );
    console.log(
      `scenarios: ${scenarios({ ...o, haveScript: false, cpus: os.cpus().length })
        .map((s) => s.id)
        .join(', ')}`,
    );
    return;
  }
  const { found, missing } = findTools();
  for (const hint of missing) console.log(`missing: ${hint}; comparisons with it are skipped`);
  if (!found.connload) throw new Error('connload is not built: run `npm run bench` (it builds first) or `npm run build`');
  const haveNginx = existsSync(NGINX_BIN);
  if (!haveNginx) console.log(`missing: ${NGINX_BIN}: apt-get install -y nginx-light; nginx scenarios are skipped`);
  const haveScript = existsSync('/usr/bin/script');
  const cpus = os.cpus().length;
  if (cpus < SCALING_MIN_CPUS)
    console.log(`skipped: new-connection-scaling (--workers 2/4 against wrk -t2/-t4) needs ${SCALING_MIN_CPUS} or more cores; this machine has ${cpus}`);
  // Held connections: one process holds as many as its open-file limit allows (the hard limit, unless
  // CAP_SYS_RESOURCE raises it); fewer than asked are measured then, and the bench says why.
  const heldAsked = o.heldConnections;
  const heldFileLimit = reachableFileLimit(heldAsked + 1000);
  o.heldConnections = Math.min(heldAsked, heldFileLimit - 200);
  const all = scenarios({ ...o, haveScript, cpus }).filter((s) => o.only === null || o.only.includes(s.id));
  if (all.some((s) => s.id === 'held-rss') && o.heldConnections < heldAsked)
    console.log(
      `held-rss: ${o.heldConnections} connections instead of ${heldAsked}: a process may open ${heldFileLimit} files here (ulimit -Hn; raising it needs CAP_SYS_RESOURCE)`,
    );
  const isRoot = process.getuid?.() === 0;
  if (all.some((s) => s.target === 'nginx-netns') && !isRoot) console.log('skipped: held-rss needs root (it makes a network namespace)');
  const selected = all.filter((s) => (!s.target.startsWith('nginx') || haveNginx) && (s.target !== 'nginx-netns' || isRoot));

  const targets = {};
  const cleanup = async () => {
    for (const t of Object.values(targets)) await t.stop().catch(() => {});
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const results = [];
  try {
    if (selected.some((s) => s.target === 'nginx' || s.target === 'nginx-h2')) targets.nginx = await startNginx({ cores: TARGET_CORES });
    if (selected.some((s) => s.target === 'nginx-netns')) {
      const fileLimit = heldFileLimit;
      targets['nginx-netns'] = { ...(await startNginxInNetns({ cores: TARGET_CORES, connections: o.heldConnections, fileLimit })), fileLimit };
    }
    if (selected.some((s) => s.target === 'pacing')) targets.pacing = await startPacingTarget({ cores: TARGET_CORES });
    if (selected.some((s) => s.target === 'builtin')) {
      targets.builtin = await startBuiltinServer({ cores: TARGET_CORES, latencyMs: o.rssLatencyMs });
    }
    if (selected.some((s) => s.target === 'builtin-h2c')) {
      targets['builtin-h2c'] = await startBuiltinServer({ cores: TARGET_CORES, latencyMs: 0, h2c: true });
      targets.nginx ??= await startNginx({ cores: TARGET_CORES });
    }
    /** An entry may name a target of its own (builtin-h2c compares two servers with one client). */
    const urlOf = (targetName) => {
      const target = ['builtin', 'pacing', 'builtin-h2c', 'nginx-netns'].includes(targetName) ? targets[targetName] : targets.nginx;
      return { target, url: targetName === 'nginx-h2' ? target.h2cUrl : (target.url ?? target.http1Url) };
    };
    for (const scenario of selected) {
      const { target, url } = urlOf(scenario.target);
      const entries = scenario.entries.filter((e) => found[e.tool] !== undefined && TOOLS[e.tool].argv({ ...e.workload, url }) !== null);
      const runsByKey = {};
      for (let round = 0; round < o.rounds; round++) {
        // Alternate who goes first, so a drift of the machine does not favour one tool.
        const order = entries.map((_, i) => entries[(i + round) % entries.length]);
        for (const entry of order) {
          const own = entry.target ? urlOf(entry.target) : { target, url };
          const r = await runEntry(scenario, entry, own.url, own.target);
          (runsByKey[entry.key] ??= []).push(r);
          console.log(describeRun(scenario, entry, round, r));
          await sleep(PAUSE_BETWEEN_RUNS_MS);
        }
      }
      results.push(summarizeScenario({ ...scenario, entries }, runsByKey));
    }
  } finally {
    await cleanup();
  }

  const doc = {
    schema: 'connload/bench@1',
    date: startedAt.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    options: {
      rounds: o.rounds,
      durationS: o.durationS,
      rates: o.rates,
      newConnectionRate: o.newConnectionRate,
      rssConnections: o.rssConnections,
      rssLatencyMs: o.rssLatencyMs,
      heldConnections: o.heldConnections,
      heldConnectionsAsked: heldAsked,
      heldInterval: o.heldInterval,
    },
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? null,
      kernel: os.release(),
      node: process.version,
      loadAverageBefore: loadBefore.map((x) => Number(x.toFixed(2))),
      loadAverageAfter: os.loadavg().map((x) => Number(x.toFixed(2))),
      pinning: { loadGenerator: `core ${LOAD_CORES}`, target: `core ${TARGET_CORES}` },
    },
    tools: { ...found, nginx: haveNginx ? nginxVersion(NGINX_BIN) : null },
    scenarios: results,
  };
  console.log(`\n${formatTable(doc)}`);
  if (o.markdown) console.log(`\n${formatMarkdown(doc)}`);
  await mkdir(path.dirname(path.resolve(o.json)), { recursive: true });
  await writeFile(o.json, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`\nwritten: ${o.json}  (load average before ${doc.machine.loadAverageBefore.join(' ')}, after ${doc.machine.loadAverageAfter.join(' ')})`);
  const failed = unmet(doc);
  if (failed.length > 0) console.log(`targets not met: ${failed.join('; ')}`);
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exit(1);
});
