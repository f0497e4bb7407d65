import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  exhaustionAdvice,
  exhaustionWarning,
  readPortFacts,
  summarizePorts,
  TIME_WAIT_SECONDS,
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

  it('reads this host\'s /proc by default', async () => {
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
  localAddresses: 1,
  timeWaitPeak: 150,
  timeWaitPeakServer: 0,
  newConnectionsPerSecond: 10,
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
  });

  it('multiplies by local addresses', () => {
    const s = summarizePorts({ ...base, localAddresses: 4 });
    expect(s.peakFraction).toBeCloseTo(150 / 800);
    expect(s.sustainableConnectionsPerSecond).toBeCloseTo(800 / 60);
    expect(s.projectedExhaustionSeconds).toBeNull(); // 10/s is sustainable with 800 tuples
    const faster = summarizePorts({ ...base, localAddresses: 4, newConnectionsPerSecond: 20 });
    expect(faster.projectedExhaustionSeconds).toBeCloseTo((800 - 120) / 20);
  });

  it('projects nothing for a sustainable or zero rate', () => {
    expect(summarizePorts({ ...base, newConnectionsPerSecond: 3 }).projectedExhaustionSeconds).toBeNull();
    expect(summarizePorts({ ...base, newConnectionsPerSecond: 0 }).projectedExhaustionSeconds).toBeNull();
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
    expect(exhaustionWarning(summarizePorts({ ...base, newConnectionsPerSecond: 1 }))).toBe(
      'TIME_WAIT holds 150 of 200 local ports (75%)',
    );
  });

  it('says when ports ran out', () => {
    expect(exhaustionWarning(summarizePorts({ ...base, exhaustedAtSeconds: 3.25 }))).toMatch(/exhausted at 3\.3 s \(no free local port\)/);
  });

  it('is silent when far from exhaustion or unsupported', () => {
    const far = { ...base, facts: { rangeLow: 32768, rangeHigh: 60999, twReuse: 2 }, timeWaitPeak: 100, timeWaitNow: 100 };
    expect(exhaustionWarning(summarizePorts(far))).toBeNull();
    expect(exhaustionWarning(summarizePorts({ ...base, supported: false, timeWaitPeak: null, timeWaitNow: null }))).toBeNull();
  });

  it('mentions tcp_tw_reuse=1', () => {
    const reuse = { ...base, facts: { ...base.facts, twReuse: 1 } };
    expect(exhaustionWarning(summarizePorts(reuse))).toMatch(/tcp_tw_reuse=1 may let the kernel reuse them/);
  });
});

describe('exhaustionAdvice', () => {
  it('is empty when the ports did not run out', () => {
    expect(exhaustionAdvice(summarizePorts(base))).toEqual([]);
  });

  it('says when the client ran out and what would help, none in effect', () => {
    const lines = exhaustionAdvice(summarizePorts({ ...base, exhaustedAtSeconds: 4.2 }), {
      strategy: 'new-connection',
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
    const s = summarizePorts({ ...base, localAddresses: 3, facts: { ...base.facts, twReuse: 1 }, exhaustedAtSeconds: 1 });
    const lines = exhaustionAdvice(s, { strategy: 'persistent', close: 'server' });
    expect(lines.filter((l) => l.endsWith('(already in effect)'))).toHaveLength(4);
    expect(lines[0]).toContain('x 3 local addresses = 600 usable');
  });

  it('works without port facts', () => {
    const s = summarizePorts({ ...base, facts: { rangeLow: null, rangeHigh: null, twReuse: null }, exhaustedAtSeconds: 2 });
    const lines = exhaustionAdvice(s);
    expect(lines[0]).toBe(
      'The client ran out of local ports 2.0 s into the phase: new connections found no free local port (EADDRNOTAVAIL, or EADDRINUSE when bound to a --local-address; counted as port-exhausted).',
    );
  });
});
