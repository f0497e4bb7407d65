// The local-port projection on this host's loopback, with the built-in server and
// whatever tcp_tw_reuse the machine has (read, not set): only connections the
// client closes first hold its local ports, and under tcp_tw_reuse (1, or 2 towards
// loopback) a port is free again after about a second. Each run goes at twice the
// rate a 60 s hold sustains, where a projection from the new-connection rate warned.
// Bounded by --rate x --duration.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { readPortFacts, usableTuples, type PortFacts } from '../../src/metrics/ports.js';
import { startServer } from '../../src/server/server.js';
import { runCli } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

const SECONDS = 3;
/** Where the range cannot be read (not Linux): the Linux default, 32768-60999. */
const DEFAULT_USABLE = 28232;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

let facts: PortFacts;
let usable = DEFAULT_USABLE;
/** Twice usable / 60 s, in hundreds: 1,000/s for 28,232 ports. */
let rate = 0;
beforeAll(async () => {
  facts = await readPortFacts();
  usable = usableTuples(facts, 1) ?? DEFAULT_USABLE;
  rate = Math.ceil((2 * usable) / 60 / 100) * 100;
});

/** `connload run` against a fresh built-in server (TIME_WAIT is counted by the target's port), not quiet. */
async function run(close: 'server' | 'client') {
  const server = await startServer({});
  closers.push(() => server.close());
  const cli = await runCli(['run', `${server.url}/`, '-s', 'new-connection', '--close', close, '--rate', String(rate), '-d', `${SECONDS}s`, '--json', '-']);
  if (cli.code !== 0) throw new Error(`connload --close ${close} exited ${cli.code}:\n${cli.stderr}`);
  const doc = JSON.parse(cli.stdout) as ResultDocument;
  assertValidResult(doc);
  const phase = doc.phases[0];
  // The load the old projection (new connections / 60 s hold) warned about.
  expect(phase.connections.opened / (phase.durationMs / 1000)).toBeGreaterThan(usable / 60);
  expect(phase.errors).toEqual({});
  return { phase, stderr: cli.stderr };
}

describe(`local-port projection on loopback, new connections at 2 x usable / 60 s for ${SECONDS} s`, () => {
  it('the server closes first: nothing projected, no warning', async () => {
    const { phase: p, stderr } = await run('server');
    expect(p.connections.closedByServer).toBe(p.connections.opened);
    expect(p.connections.closedByClient + p.connections.closedByTimeout).toBe(0);
    expect(p.ports.projectedExhaustionSeconds).toBeNull();
    expect(stderr).not.toMatch(/^warning:/m);
    if (p.ports.supported) expect(p.ports.timeWaitPeak).toBeLessThan(p.connections.opened / 10);
    console.info(
      `--close server at ${rate}/s: ${p.connections.opened} connections, client TIME_WAIT peak ${p.ports.timeWaitPeak}, projection ${p.ports.projectedExhaustionSeconds}`,
    );
  });

  it('the client closes first: projected only when tcp_tw_reuse does not apply', async () => {
    const { phase: p, stderr } = await run('client');
    const k = p.connections;
    expect(k.closedByClient + k.closedByTimeout).toBeGreaterThanOrEqual(k.opened - 1);
    // 127.0.0.1 is loopback and no --local-address binds the sockets: 1 and 2 both apply.
    const applies = facts.twReuse === 1 || facts.twReuse === 2;
    expect(p.ports.twReuse).toBe(facts.twReuse);
    expect(p.ports.twReuseApplies).toBe(applies);
    expect(p.ports.timeWaitHoldSeconds).toBe(applies ? 1 : 60);
    if (facts.rangeLow !== null) expect(p.ports.sustainableConnectionsPerSecond).toBeCloseTo(usable / (applies ? 1 : 60));
    if (applies) {
      expect(p.ports.twReuseReason).toBe(facts.twReuse === 2 ? 'loopback target' : 'every target');
      expect(p.ports.projectedExhaustionSeconds).toBeNull();
      expect(stderr).not.toMatch(/^warning:/m);
      expect(stderr).toMatch(new RegExp(`tcp_tw_reuse\\s+│\\s+${facts.twReuse} \\(applies: ${p.ports.twReuseReason}\\)`));
      expect(stderr).toMatch(/sustainable new connections\/s\s+│\s+[\d,]+ \(client closing first; port held 1 s\)/);
    } else if (p.ports.supported && facts.rangeLow !== null) {
      // Without reuse every port stays taken 60 s: at twice the sustainable rate they run out in about 30 s.
      expect(p.ports.projectedExhaustionSeconds).toBeGreaterThan(0);
      expect(p.ports.projectedExhaustionSeconds).toBeLessThan(60);
      expect(stderr).toMatch(/^warning: TIME_WAIT holds [\d,]+ of [\d,]+ local ports \(\d+%\); at this rate they run out in ~\d+ s$/m);
    }
    console.info(
      `--close client at ${rate}/s, tcp_tw_reuse=${facts.twReuse}: ${k.opened} connections, client TIME_WAIT peak ${p.ports.timeWaitPeak}, ` +
        `applies ${p.ports.twReuseApplies}, sustainable ${Math.round(p.ports.sustainableConnectionsPerSecond!)}/s, projection ${p.ports.projectedExhaustionSeconds}`,
    );
  });
});
