// What connload's own measuring costs, part by part, as a share of one core: measured directly
// (CPU time per operation x how often connload does it), because a 2% difference between two
// whole runs is within the noise of a shared 2-core machine. Prints one JSON line.
//   node test/bench/measuring-cost.mjs <target url> sampler|display
import { readFileSync } from 'node:fs';
import { decodeHistogram, UsHistogram } from '../../dist/metrics/histogram.js';
import { createTimeWaitSampler } from '../../dist/metrics/timewait.js';
import { formatProgress } from '../../dist/report/live.js';
import { sampleIntervalMs, spentMs } from '../../dist/run/coordinator.js';

/** connload's default --sample-interval. */
const SAMPLE_INTERVAL_MS = 500;
const REPEATS = 20;

const cpuMs = (since) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

function tableLines() {
  let lines = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      lines += readFileSync(file, 'latin1').split('\n').length - 2;
    } catch {
      // no IPv6
    }
  }
  return lines;
}

/**
 * One TIME_WAIT sample: its CPU and the schedule. This process's CPU (the read and parse; a /proc read runs on the thread
 * pool, which process CPU counts), and for `ss` the CPU its shell's children took, which the sampler reports.
 */
async function samplerCost(url) {
  const { hostname, port } = new URL(url);
  const sampler = createTimeWaitSampler({ address: hostname, port: Number(port) });
  if (!sampler.supported) return { share: 0, detail: 'sampler unsupported here' };
  await sampler.sample();
  let cpu = 0;
  let wall = 0;
  const before = spentMs(sampler);
  const childrenBefore = sampler.spent()?.childrenMs ?? 0;
  for (let i = 0; i < REPEATS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await sampler.sample();
    wall += performance.now() - t0;
    cpu += cpuMs(c0);
  }
  const after = spentMs(sampler);
  const childrenMs = (sampler.spent()?.childrenMs ?? 0) - childrenBefore;
  sampler.close();
  // This process's CPU (which holds the main thread's share) and the CPU of the shell's children.
  const msPerSample = (cpu + childrenMs) / REPEATS;
  // Paced as the run paces it (coordinator.ts): on what the sampler says a sample cost, else on its wall time.
  const costMs = before === null ? wall / REPEATS : (after - before) / REPEATS;
  const intervalMs = sampleIntervalMs(SAMPLE_INTERVAL_MS, costMs);
  return {
    share: msPerSample / intervalMs,
    detail: `${msPerSample.toFixed(1)} ms per sample (${sampler.source}) with ${tableLines()} lines in /proc/net/tcp[6], one every ${intervalMs.toFixed(0)} ms`,
  };
}

/** Once a second: the worker encodes its latency histogram, the main thread decodes it, takes p99 and draws a line. */
function displayCost() {
  const h = new UsHistogram();
  for (let i = 0; i < 1_000_000; i++) h.record(80 + ((i * 7919) % 5000) + (i % 1000 === 0 ? 50_000 : 0));
  let ms = 0;
  for (let i = 0; i < REPEATS; i++) {
    const c0 = process.cpuUsage();
    const p99Ms = decodeHistogram(h.encode()).getValueAtPercentile(99) / 1000;
    formatProgress({
      phase: 'persistent',
      elapsedMs: 3000,
      totalMs: 10_000,
      counting: true,
      completed: 1_000_000,
      requestsPerSecond: 200_000,
      p99Ms,
      openConnections: 50,
      newConnectionsPerSecond: 0,
      clientClosesPerSecond: 0,
      timeWait: 123,
      errors: 0,
    });
    ms += cpuMs(c0);
  }
  const msPerSecond = ms / REPEATS;
  return { share: msPerSecond / 1000, detail: `${msPerSecond.toFixed(2)} ms per second (encode, decode, p99, format)` };
}

const [url, part] = process.argv.slice(2);
const result = part === 'sampler' ? await samplerCost(url) : displayCost();
console.log(JSON.stringify(result));
