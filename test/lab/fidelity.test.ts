// Does the lab behave like a network with the round-trip time it was given,
// as connload itself measures it? connload runs in the client namespace
// against a zero-latency node:http server in the server namespace: the TCP
// handshake and a keep-alive request each cost one RTT, and 2 MB on a fresh
// connection is several times slower than on a warm one (slow start).
// A p50 that is off is measured again (at most three times): on a shared
// machine other processes only ever add time.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runJson } from '../helpers/cli.js';
import { waitForLine } from './exec.js';
import { createLab, type Lab } from './lab.js';
import { requireLab } from './lab-suite.js';
import { settledP50 } from './timing.js';

const HTTP_SERVER = fileURLToPath(new URL('./fixtures/http-server.mjs', import.meta.url));
const SAMPLES = 30;
const DOWNLOAD_BYTES = 2 * 1024 * 1024;
const DOWNLOAD_SAMPLES = 5;

interface MetricStats {
  count: number;
  p50: number;
}

/** Runs `connload run` in the client namespace; returns the first phase's metrics. */
async function connload(lab: Lab, url: string, args: string[]): Promise<Record<string, MetricStats>> {
  const run = await runJson(['run', url, ...args], { prefix: lab.clientPrefix });
  if (run.code !== 0) throw new Error(`connload run ${url} ${args.join(' ')} exited ${run.code}:\n${run.stderr}`);
  const phase = run.result.phases[0];
  expect(phase.requests.errors).toBe(0);
  return phase.metrics as Record<string, MetricStats>;
}

const labReady = await requireLab();

describe.skipIf(!labReady).each([0, 20, 50])('lab at RTT %i ms, measured by connload', (rttMs) => {
  let lab: Lab;
  let baseUrl: string;

  beforeAll(async () => {
    lab = await createLab({ rttMs, name: 'fidelity' });
    const server = lab.spawnInServer(process.execPath, [HTTP_SERVER, lab.serverAddress]);
    const port = (await waitForLine(server, /^listening on http:\/\/.+:(\d+)$/))[1]!;
    baseUrl = `http://${lab.serverAddress}:${port}`;
  });

  afterAll(async () => {
    if (!lab) return;
    for (const stats of await lab.delayerStats()) {
      console.log(`RTT ${rttMs} ms delayer ${stats.namespace}: ${JSON.stringify(stats)}`);
      // Every packet was really delayed: none went through a full ring.
      expect(stats.overflow).toBe(0);
    }
    await lab.destroy();
  });

  test('a TCP handshake costs one RTT (connect p50 within 1 ms)', async () => {
    const connectP50 = await settledP50(
      async () => {
        const metrics = await connload(lab, `${baseUrl}/`, ['--strategy', 'new-connection', '-c', '1', '--requests', String(SAMPLES)]);
        expect(metrics.connect!.count).toBe(SAMPLES);
        return metrics.connect!.p50;
      },
      rttMs,
      1,
    );
    console.log(`RTT ${rttMs} ms: connload connect p50 ${connectP50.toFixed(2)} ms`);
    expect(Math.abs(connectP50 - rttMs)).toBeLessThan(1);
  });

  test('a keep-alive GET waits one RTT for its first byte (wait p50 within 1.5 ms)', async () => {
    const waitP50 = await settledP50(
      async () => {
        const metrics = await connload(lab, `${baseUrl}/`, ['--strategy', 'persistent', '-c', '1', '--requests', String(SAMPLES)]);
        expect(metrics.connect!.count).toBe(1);
        return metrics.wait!.p50;
      },
      rttMs,
      1.5,
    );
    console.log(`RTT ${rttMs} ms: connload keep-alive wait p50 ${waitP50.toFixed(2)} ms`);
    expect(Math.abs(waitP50 - rttMs)).toBeLessThan(1.5);
  });

  // At RTT 0 there is no window to open: slow start costs nothing to see.
  if (rttMs === 0) return;
  test('2 MB on a fresh connection is several times slower than on a warm one (slow start)', async () => {
    const url = `${baseUrl}/bytes/${DOWNLOAD_BYTES}`;
    const fresh = await connload(lab, url, ['--strategy', 'new-connection', '-c', '1', '--requests', String(DOWNLOAD_SAMPLES)]);
    // One connection: the first request opens it, the others find it warm.
    const warm = await connload(lab, url, ['--strategy', 'persistent', '-c', '1', '--requests', String(DOWNLOAD_SAMPLES + 1)]);
    const freshMs = fresh.latency!.p50;
    const warmMs = warm.latencyReused!.p50;
    console.log(`RTT ${rttMs} ms: connload 2 MB latency fresh p50 ${freshMs.toFixed(1)} ms, warm p50 ${warmMs.toFixed(1)} ms`);
    expect(warm.latencyReused!.count).toBe(DOWNLOAD_SAMPLES);
    // A warm window sends 2 MB in little more than one RTT; a fresh one pays
    // the handshake and several rounds of slow start.
    expect(warmMs).toBeGreaterThanOrEqual(rttMs);
    expect(freshMs / warmMs).toBeGreaterThan(3);
  });
});
