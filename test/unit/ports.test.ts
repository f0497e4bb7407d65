import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newCounters } from '../../src/metrics/counters.js';
import {
  closedByClientFirst,
  describeTwReuse,
  exhaustionAdvice,
  exhaustionWarning,
  isLoopbackAddress,
  readPortFacts,
  summarizePorts,
  TIME_WAIT_SECONDS,
  TW_REUSE_HOLD_SECONDS,
  type PortsInput,
} from '../../src/metrics/ports.js';

describe('readPortFacts', () => {
  let root = '';
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function procRoot(files: Record<string, string>): Promise<string> {
    root = await mkdtemp(join(tmpdir(), 'cl-ports-'));
    await mkdir(join(root, 'sys/net/ipv4'), { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(root, 'sys/net/ipv4', name), text);
    return root;
  }

  it('reads the range (tab-separated, as the kernel writes it) and tcp_tw_reuse', async () => {
    const dir = await procRoot({ ip_local_port_range: '32768\t60999\n', tcp_tw_reuse: '2\n' });
    expect(await readPortFacts(dir)).toEqual({ rangeLow: 32768, rangeHigh: 60999, twReuse: 2 });
  });

  it('gives nulls for what is missing or malformed', async () => {
    expect(await readPortFacts(await procRoot({ ip_local_port_range: 'garbage\n' }))).toEqual({
      rangeLow: null,
      rangeHigh: null,
      twReuse: null,
    });
    expect(await readPortFacts('/nonexistent-proc')).toEqual({ rangeLow: null, rangeHigh: null, twReuse: null });
  });

  it("reads this host's /proc by default", async () => {
    const facts = await readPortFacts();
    if (process.platform !== 'linux') return expect(facts.rangeLow).toBeNull();
    expect(facts.rangeLow).toBeGreaterThan(0);
    expect(facts.rangeHigh).toBeGreaterThanOrEqual(facts.rangeLow!);
    expect([0, 1, 2]).toContain(facts.twReuse);
  });
});

const base: PortsInput = {
  supported: true,
  source: 'proc',
  facts: { rangeLow: 40000, rangeHigh: 40199, twReuse: 0 }, // 200 ports
  localAddresses: 0, // the OS picks the source
  targetLoopback: true,
  timeWaitPeak: 150,
  timeWaitPeakServer: 0,
  clientClosesPerSecond: 10,
  timeWaitNow: 120,
  exhaustedAtSeconds: null,
};

describe('summarizePorts', () => {
  it('computes usable tuples, peak fraction and the sustainable rate', () => {
    const s = summarizePorts(base);
    expect(s.peakFraction).toBeCloseTo(150 / 200);
    expect(s.sustainableConnectionsPerSecond).toBeCloseTo(200 / TIME_WAIT_SECONDS);
    expect(s.projectedExhaustionSeconds).toBeCloseTo((200 - 120) / 10);
    expect(s.exhausted).toBe(false);
    expect(s).toMatchObject({ rangeLow: 40000, rangeHigh: 40199, twReuse: 0, localAddresses: 1, timeWaitPeakServer: 0 });
    expect(s).toMatchObject({ twReuseApplies: false, twReuseReason: 'off', timeWaitHoldSeconds: TIME_WAIT_SECONDS });
  });

  it('multiplies by local addresses', () => {
    const s = summarizePorts({ ...base, localAddresses: 4 });
    expect(s.peakFraction).toBeCloseTo(150 / 800);
    expect(s.sustainableConnectionsPerSecond).toBeCloseTo(800 / 60);
    expect(s.projectedExhaustionSeconds).toBeNull(); // 10/s is sustainable with 800 tuples
    const faster = summarizePorts({ ...base, localAddresses: 4, clientClosesPerSecond: 20 });
    expect(faster.projectedExhaustionSeconds).toBeCloseTo((800 - 120) / 20);
  });

  it('projects nothing for a sustainable or zero rate', () => {
    expect(summarizePorts({ ...base, clientClosesPerSecond: 3 }).projectedExhaustionSeconds).toBeNull();
    expect(summarizePorts({ ...base, clientClosesPerSecond: 0 }).projectedExhaustionSeconds).toBeNull();
  });

  it('projects 0 once TIME_WAIT already fills the tuples', () => {
    expect(summarizePorts({ ...base, timeWaitNow: 250 }).projectedExhaustionSeconds).toBe(0);
  });

  it('marks exhaustion from the first EADDRNOTAVAIL', () => {
    const s = summarizePorts({ ...base, exhaustedAtSeconds: 12.5 });
    expect(s.exhausted).toBe(true);
    expect(s.exhaustedAtSeconds).toBe(12.5);
  });

  it('keeps nulls when unsupported: no made-up zeros', () => {
    const s = summarizePorts({
      ...base,
      supported: false,
      source: null,
      facts: { rangeLow: null, rangeHigh: null, twReuse: null },
      timeWaitPeak: null,
      timeWaitPeakServer: null,
      timeWaitNow: null,
      localAddresses: 0,
    });
    expect(s).toEqual({
      supported: false,
      source: null,
      rangeLow: null,
      rangeHigh: null,
      twReuse: null,
      twReuseApplies: false,
      twReuseReason: null,
      timeWaitHoldSeconds: TIME_WAIT_SECONDS,
      localAddresses: 1,
      timeWaitPeak: null,
      timeWaitPeakServer: null,
      peakFraction: null,
      sustainableConnectionsPerSecond: null,
      projectedExhaustionSeconds: null,
      exhausted: false,
      exhaustedAtSeconds: null,
    });
  });
});

describe('exhaustionWarning', () => {
  it('warns when exhaustion is projected within a minute', () => {
    const w = exhaustionWarning(summarizePorts(base));
    expect(w).toBe('TIME_WAIT holds 150 of 200 local ports (75%); at this rate they run out in ~8 s');
  });

  it('warns on a high peak fraction even at a sustainable rate', () => {
    expect(exhaustionWarning(summarizePorts({ ...base, clientClosesPerSecond: 1 }))).toBe('TIME_WAIT holds 150 of 200 local ports (75%)');
  });

  it('says when ports ran out', () => {
    expect(exhaustionWarning(summarizePorts({ ...base, exhaustedAtSeconds: 3.25 }))).toMatch(/exhausted at 3\.3 s \(no free local port\)/);
  });

  it('is silent when far from exhaustion or unsupported', () => {
    const far = { ...base, facts: { rangeLow: 32768, rangeHigh: 60999, twReuse: 2 }, timeWaitPeak: 100, timeWaitNow: 100 };
    expect(exhaustionWarning(summarizePorts(far))).toBeNull();
    expect(exhaustionWarning(summarizePorts({ ...base, supported: false, timeWaitPeak: null, timeWaitNow: null }))).toBeNull();
  });

  it('under tcp_tw_reuse: no warning for half the range in TIME_WAIT, one only above range / 1 s', () => {
    const reuse = { ...base, facts: { ...base.facts, twReuse: 1 } };
    // 75% held and 10 client closes/s: fine when a port is free again after a second.
    expect(exhaustionWarning(summarizePorts(reuse))).toBeNull();
    expect(exhaustionWarning(summarizePorts({ ...reuse, clientClosesPerSecond: 400 }))).toBe(
      'TIME_WAIT holds 150 of 200 local ports (75%); at this rate they run out in ~1 s (even with tcp_tw_reuse=1, which frees a port after ~1 s)',
    );
  });
});

describe('exhaustionAdvice', () => {
  it('is empty when the ports did not run out', () => {
    expect(exhaustionAdvice(summarizePorts(base))).toEqual([]);
  });

  it('says when the client ran out and what would help, none in effect', () => {
    const lines = exhaustionAdvice(summarizePorts({ ...base, exhaustedAtSeconds: 4.2 }), {
      reusesConnections: false, // new-connection's traits
      close: 'client',
    });
    expect(lines[0]).toBe(
      'The client ran out of local ports 4.2 s into the phase: new connections found no free local port (EADDRNOTAVAIL, or EADDRINUSE when bound to a --local-address; counted as port-exhausted) (port range 40000-40199 x 1 local address = 200 usable; sustainable ~3 new connections/s).',
    );
    expect(lines.join('\n')).toContain('--close server');
    expect(lines.join('\n')).toContain('--strategy persistent');
    expect(lines.join('\n')).toContain('--local-address');
    expect(lines.join('\n')).toContain('tcp_tw_reuse=1');
    expect(lines.join('\n')).toContain('(now 0)');
    expect(lines.join('\n')).not.toContain('already in effect');
  });

  it('says which remedies are already in effect', () => {
    const s = summarizePorts({ ...base, facts: { ...base.facts, twReuse: 1 }, exhaustedAtSeconds: 1 });
    const lines = exhaustionAdvice(s, { reusesConnections: true, close: 'server' });
    expect(lines.filter((l) => l.endsWith('(already in effect)'))).toHaveLength(3);
    expect(lines.find((l) => l.includes('tcp_tw_reuse=1'))).toMatch(/\(already in effect\)$/);
    // Still 60 s in TIME_WAIT; tcp_tw_reuse only lets a new connection take the port over.
    expect(lines[1]).toBe(
      'Each connection the client closes first keeps its local port in TIME_WAIT for 60 s (tcp_tw_reuse lets a new connection to this target take it after ~1 s). What would help:',
    );
  });

  it('says that tcp_tw_reuse does not help sockets bound to --local-address', () => {
    const s = summarizePorts({ ...base, localAddresses: 3, facts: { ...base.facts, twReuse: 1 }, exhaustedAtSeconds: 1 });
    const lines = exhaustionAdvice(s, { reusesConnections: true, close: 'server' });
    expect(lines[0]).toContain('x 3 local addresses = 600 usable; sustainable ~10 new connections/s');
    expect(lines[1]).toBe('Each connection the client closes first keeps its local port in TIME_WAIT for 60 s. What would help:');
    expect(lines.filter((l) => l.endsWith('(already in effect)'))).toHaveLength(3);
    expect(lines.at(-1)).toMatch(/\(now 1: not with --local-address: bind\(\) skips ports in TIME_WAIT\)$/);
  });

  it('says when tcp_tw_reuse=2 does not cover the target', () => {
    const s = summarizePorts({ ...base, targetLoopback: false, facts: { ...base.facts, twReuse: 2 }, exhaustedAtSeconds: 1 });
    expect(exhaustionAdvice(s).at(-1)).toMatch(/\(now 2: loopback only; target is not\)$/);
  });

  it('works without port facts', () => {
    const s = summarizePorts({ ...base, facts: { rangeLow: null, rangeHigh: null, twReuse: null }, exhaustedAtSeconds: 2 });
    const lines = exhaustionAdvice(s);
    expect(lines[0]).toBe(
      'The client ran out of local ports 2.0 s into the phase: new connections found no free local port (EADDRNOTAVAIL, or EADDRINUSE when bound to a --local-address; counted as port-exhausted).',
    );
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.2', true],
    ['0.0.0.0', true],
    ['::', true],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['::2', false],
    ['::ffff:10.0.0.1', false],
    ['fe80::1', false],
    ['localhost', false],
  ])('%s -> %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});

describe('closedByClientFirst', () => {
  it('counts the closes that leave the client a TIME_WAIT: client FIN (and errors, counted with it) and timeouts', () => {
    const c = newCounters().connections;
    Object.assign(c, { closedByClient: 5, closedByTimeout: 2, closedByServer: 100, resetByServer: 7, resetByClient: 9 });
    expect(closedByClientFirst(c)).toBe(7);
  });
});

describe('tcp_tw_reuse in the projection', () => {
  const host = { rangeLow: 32768, rangeHigh: 60999 }; // 28,232 ports, as on this machine
  const usable = 28232;

  it.each([
    // twReuse, target loopback, --local-address count -> applies, reason
    [0, true, 0, false, 'off'],
    [1, true, 0, true, 'every target'],
    [1, false, 0, true, 'every target'],
    [2, true, 0, true, 'loopback target'],
    [2, false, 0, false, 'loopback only; target is not'],
    [1, true, 1, false, 'not with --local-address: bind() skips ports in TIME_WAIT'],
    [2, true, 4, false, 'not with --local-address: bind() skips ports in TIME_WAIT'],
    [null, true, 0, false, null],
  ] as const)('tcp_tw_reuse=%s, loopback %s, %s local addresses: applies %s (%s)', (twReuse, targetLoopback, localAddresses, applies, reason) => {
    const s = summarizePorts({ ...base, facts: { ...host, twReuse }, targetLoopback, localAddresses });
    const hold = applies ? TW_REUSE_HOLD_SECONDS : TIME_WAIT_SECONDS;
    expect(s).toMatchObject({ twReuseApplies: applies, twReuseReason: reason, timeWaitHoldSeconds: hold });
    expect(s.sustainableConnectionsPerSecond).toBeCloseTo((usable * Math.max(1, localAddresses)) / hold);
  });

  it('server closes first: no client closes, no projection, whatever the new-connection rate', () => {
    // -s new-connection with the default close: 10,500 new connections/s, all closed by the server.
    const s = summarizePorts({ ...base, facts: { ...host, twReuse: 0 }, clientClosesPerSecond: 0, timeWaitPeak: 50, timeWaitNow: 50 });
    expect(s.projectedExhaustionSeconds).toBeNull();
    expect(exhaustionWarning(s)).toBeNull();
  });

  it('client closes first on loopback with tcp_tw_reuse=2: half the range in TIME_WAIT, no projection, no warning', () => {
    // Measured: 75,608 connections in 8 s from one address, TIME_WAIT levelled at 14,095.
    const input = { ...base, facts: { ...host, twReuse: 2 }, clientClosesPerSecond: 9451, timeWaitPeak: 14095, timeWaitNow: 14095 };
    const s = summarizePorts(input);
    expect(s.sustainableConnectionsPerSecond).toBe(usable);
    expect(s.projectedExhaustionSeconds).toBeNull();
    expect(s.peakFraction).toBeCloseTo(14095 / usable);
    expect(exhaustionWarning(s)).toBeNull();
    // Above one range per second even reuse runs out.
    const faster = summarizePorts({ ...input, clientClosesPerSecond: 30000 });
    expect(faster.projectedExhaustionSeconds).toBeCloseTo((usable - 14095) / 30000);
    expect(exhaustionWarning(faster)).toMatch(/run out in ~1 s \(even with tcp_tw_reuse=2/);
  });

  it('the same run towards a non-loopback target with tcp_tw_reuse=2 projects and warns as without reuse', () => {
    const s = summarizePorts({
      ...base,
      facts: { ...host, twReuse: 2 },
      targetLoopback: false,
      clientClosesPerSecond: 9451,
      timeWaitPeak: 14500,
      timeWaitNow: 14500,
    });
    expect(s.timeWaitHoldSeconds).toBe(60);
    expect(s.projectedExhaustionSeconds).toBeCloseTo((usable - 14500) / 9451);
    expect(exhaustionWarning(s)).toBe('TIME_WAIT holds 14,500 of 28,232 local ports (51%); at this rate they run out in ~2 s');
  });
});

describe('describeTwReuse', () => {
  const at = (twReuse: number | null, targetLoopback: boolean, localAddresses = 0) =>
    describeTwReuse(summarizePorts({ ...base, facts: { ...base.facts, twReuse }, targetLoopback, localAddresses }));

  it('says whether tcp_tw_reuse applies to the run, and why', () => {
    expect(at(2, true)).toBe('2 (applies: loopback target)');
    expect(at(2, false)).toBe('2 (loopback only; target is not)');
    expect(at(1, false)).toBe('1 (applies: every target)');
    expect(at(1, true, 2)).toBe('1 (not with --local-address: bind() skips ports in TIME_WAIT)');
    expect(at(0, true)).toBe('0 (off)');
    expect(at(null, true)).toBe('-');
  });

  it('shows the bare value for results written before twReuseApplies existed', () => {
    const { twReuseApplies: _a, twReuseReason: _r, timeWaitHoldSeconds: _h, ...old } = summarizePorts({ ...base, facts: { ...base.facts, twReuse: 2 } });
    expect(describeTwReuse(old)).toBe('2');
  });
});
