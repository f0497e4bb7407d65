// How long one TIME_WAIT sample takes with >= 20,000 entries in /proc/net/tcp.
//   npm run build && node test/bench/timewait-sampler.mjs
// As root it runs inside its own network namespace (tcp_tw_reuse=0, nothing left
// on the host); otherwise on this host's loopback, spread over several servers.
// CONNLOAD_DIST points at another build output (default: ./dist).
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { pathToFileURL } from 'node:url';

const TARGET_ENTRIES = 22_000; // bounded: this many connections, plus at most one top-up round
const WANTED_ENTRIES = 20_000;
const CONCURRENCY = 64;
const SAMPLES = 40;

const run = (cmd, args) =>
  new Promise((resolve, reject) => execFile(cmd, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout))));

async function main() {
  if (process.getuid?.() === 0 && !process.env.CL_BENCH_INSIDE) return runInNamespace();
  const dist = process.env.CONNLOAD_DIST ?? new URL('../../dist/', import.meta.url).pathname;
  const { createTimeWaitSampler, countProcTimeWait, procEndpointPatterns } = await import(pathToFileURL(`${dist}/metrics/timewait.js`).href).catch(() => {
    throw new Error(`cannot load ${dist}/metrics/timewait.js: run \`npm run build\` first`);
  });
  // Without a namespace of our own, tcp_tw_reuse=2 may recycle loopback entries: more servers, fewer collisions.
  const servers = process.env.CL_BENCH_INSIDE ? 1 : 8;
  const ports = [];
  for (let i = 0; i < servers; i++) ports.push(await startServer());
  const where = process.env.CL_BENCH_INSIDE ? `namespace ${process.env.CL_BENCH_INSIDE}` : 'host loopback';

  const samplers = ports.map((port) => createTimeWaitSampler({ address: '127.0.0.1', port }));
  const total = async () => (await Promise.all(samplers.map((s) => s.sample()))).reduce((n, c) => n + c.client, 0);
  const started = performance.now();
  await connectMany(ports, TARGET_ENTRIES);
  if ((await total()) < WANTED_ENTRIES) await connectMany(ports, WANTED_ENTRIES - (await total()) + 1000);
  const entries = await total();
  const fillSeconds = (performance.now() - started) / 1000;
  const lines = (await run('cat', ['/proc/net/tcp'])).split('\n').length - 2;
  if (entries < WANTED_ENTRIES) console.warn(`only ${entries} TIME_WAIT entries (wanted ${WANTED_ENTRIES})`);

  const sampler = samplers[0];
  await sampler.sample(); // warm: the reused buffer grows once
  const sampleMs = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await sampler.sample();
    sampleMs.push(performance.now() - t0);
  }
  const { readFile } = await import('node:fs/promises');
  const table = await readFile('/proc/net/tcp');
  const pattern = procEndpointPatterns('127.0.0.1', ports[0]).tcp;
  const t0 = performance.now();
  for (let i = 0; i < SAMPLES; i++) countProcTimeWait(table, pattern);
  const parseMs = (performance.now() - t0) / SAMPLES;
  const ssStart = performance.now();
  await run('ss', ['-Htan', 'state', 'time-wait']);
  const ssMs = performance.now() - ssStart;

  sampleMs.sort((a, b) => a - b);
  const mean = sampleMs.reduce((a, b) => a + b, 0) / sampleMs.length;
  const at = (q) => sampleMs[Math.min(sampleMs.length - 1, Math.floor(q * sampleMs.length))];
  console.log(
    JSON.stringify({
      where,
      timeWaitEntries: entries,
      procNetTcpLines: lines,
      tableBytes: table.length,
      fillSeconds: +fillSeconds.toFixed(1),
      samples: SAMPLES,
      sampleMs: { mean: +mean.toFixed(2), p50: +at(0.5).toFixed(2), p95: +at(0.95).toFixed(2), max: +at(1).toFixed(2) },
      parseOnlyMs: +parseMs.toFixed(2),
      ssMs: +ssMs.toFixed(1),
    }),
  );
  process.exit(0);
}

function startServer() {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.on('error', () => {}).resume());
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

/** `count` connections, CONCURRENCY at a time, each closed by the client first. */
async function connectMany(ports, count) {
  let next = 0;
  let failed = 0;
  const one = (port) =>
    new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end());
      socket.on('error', () => (failed++, resolve()));
      socket.on('close', resolve);
      socket.resume();
    });
  const lane = async () => {
    while (next < count) await one(ports[next++ % ports.length]);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  if (failed > 0) console.warn(`${failed} connections failed`);
}

async function runInNamespace() {
  const name = `cl-bench-${process.pid}-1`;
  await run('ip', ['netns', 'add', name]);
  try {
    await run('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    await run('ip', ['netns', 'exec', name, 'sysctl', '-q', '-w', 'net.ipv4.tcp_tw_reuse=0']);
    const child = spawn('ip', ['netns', 'exec', name, process.execPath, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, CL_BENCH_INSIDE: name },
    });
    const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
    process.exitCode = code ?? 1;
  } finally {
    await run('ip', ['netns', 'del', name]);
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
