// probe's keep-alive race check: requests sent a few ms before the idle timeout the idle
// check measured. Against a server with an exact idle timer that is a real race (on a busy
// machine the measured timeout reads a few ms long), so the servers here make the outcome
// certain: one closes later than the timeout the idle check saw (answered), one drops a
// request that arrives in the last 50 ms of its idle timeout, as a server already closing
// does (unanswered).
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runProbe, type ProbeOptions } from '../../src/probe/probe.js';
import type { ProbeResult } from '../../src/probe/types.js';
import { startServer } from '../../src/server/server.js';
import { okResponse, rawServer, type RawConnectionContext } from '../helpers/raw-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

function probe(url: string, options: Partial<ProbeOptions> = {}): Promise<ProbeResult> {
  return runProbe({ url, timeoutMs: 2000, idleMaxMs: 3000, insecure: false, caPem: null, servername: null, signal: new AbortController().signal, ...options });
}

/**
 * Keep-alive answers. A connection idle for 1 s is closed; after the first such close, idle connections
 * get `laterMs` (the race check's connections come after the idle check's). `dropLate`: a request that
 * arrives after 950 ms idle is read and never answered, and the connection closed.
 */
function idleServer(o: { laterMs: number; dropLate: boolean }): Promise<{ url: string; close(): Promise<void> }> {
  let idleCloses = 0;
  return rawServer((socket: Socket, ctx: RawConnectionContext) => {
    let idleSinceMs = 0;
    let timer: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      idleSinceMs = performance.now();
      clearTimeout(timer);
      timer = setTimeout(
        () => {
          idleCloses++;
          socket.end();
        },
        idleCloses === 0 ? 1000 : o.laterMs,
      );
    };
    socket.on('close', () => clearTimeout(timer));
    ctx.onRequest(() => {
      if (o.dropLate && idleSinceMs > 0 && performance.now() - idleSinceMs > 950) {
        socket.end();
        return;
      }
      ctx.answer(okResponse('ok', ['Connection: keep-alive']));
      armIdle();
    });
  });
}

describe('probe: answered just before the idle timeout', () => {
  it('yes when the server is still open when the requests arrive', async () => {
    const s = await idleServer({ laterMs: 5000, dropLate: false });
    cleanups.push(() => s.close());
    const r = await probe(`${s.url}/`);
    expect(r.checks.idleTimeout.verdict).toBe('yes');
    const race = r.checks.keepAliveRace;
    expect(race).toMatchObject({ verdict: 'yes', answered: 3, marginsMs: [2, 5, 10] });
    expect(race.idleTimeoutMs).toBe(r.checks.idleTimeout.idleMs);
    expect(race.evidence).toMatch(/all 3 requests sent 2-10 ms before the server's (1(\.\d)?s|9\d\dms) idle timeout were answered/);
  });

  it('no, with what to do, against a server that drops requests arriving as it closes', async () => {
    const s = await idleServer({ laterMs: 1000, dropLate: true });
    cleanups.push(() => s.close());
    const r = await probe(`${s.url}/`);
    expect(r.checks.idleTimeout.verdict).toBe('yes');
    const race = r.checks.keepAliveRace;
    expect(race.verdict).toBe('no');
    expect(race.answered).toBe(0);
    expect(race.evidence).toContain('3 of 3 requests sent 2-10 ms before');
    expect(race.evidence).toContain("keep the client's idle timeout below the server's");
  });

  it('n/a when the idle check found no timeout', async () => {
    const s = await startServer({ keepAliveTimeoutMs: null });
    cleanups.push(() => s.close());
    const r = await probe(`${s.url}/`, { idleMaxMs: 300 });
    expect(r.checks.keepAliveRace.verdict).toBe('n/a');
    expect(r.checks.keepAliveRace.evidence).toMatch(/needs the server's idle timeout/);
  });
});
