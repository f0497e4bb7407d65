import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTotals, parseFaults, serverOptionsFromArgs, type ServeArgs } from '../../src/cli/serve.js';
import { UsageError } from '../../src/errors.js';
import { createFaultPicker } from '../../src/server/faults.js';
import { keepAliveHeaderValue } from '../../src/server/http1-responses.js';
import { DEFAULT_SERVER_OPTIONS, resolveServerOptions } from '../../src/server/options.js';
import { planResponse } from '../../src/server/request-target.js';

const CLI_DEFAULTS: ServeArgs = {
  port: 8080,
  host: '127.0.0.1',
  latency: '0',
  'body-size': '13',
  'keepalive-timeout': '5s',
  'close-style': 'fin',
  chunked: false,
  h2c: false,
  tls: false,
  'max-streams': 100,
  'http10-keepalive': true,
  fault: [],
  stall: '10s',
};

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('resolveServerOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveServerOptions()).toEqual(DEFAULT_SERVER_OPTIONS);
    expect(resolveServerOptions({ faults: { reset: 0.5 } as never }).faults).toEqual({ truncate: 0, reset: 0.5, stall: 0, malformed: 0 });
  });

  it.each([
    [{ port: 70000 }, 'port'],
    [{ bodySize: -1 }, 'bodySize'],
    [{ keepAliveMax: 0 }, 'keepAliveMax'],
    [{ keepAliveTimeoutMs: 0 }, 'keepAliveTimeoutMs'],
    [{ closeStyle: 'linger' as never }, 'closeStyle'],
    [{ faults: { truncate: 2, reset: 0, stall: 0, malformed: 0 } }, 'faults.truncate'],
    [{ faults: { truncate: 0.6, reset: 0.6, stall: 0, malformed: 0 } }, 'at most 1'],
    [{ faults: { oops: 0.1 } as never }, 'unknown fault "oops"'],
    [{ tls: { cert: '', key: 'k' } }, 'tls'],
  ])('rejects %j naming %s', (input, named) => {
    expect(usageMessage(() => resolveServerOptions(input))).toContain(named);
  });
});

describe('fault picker', () => {
  it('never picks at rate 0 and always at rate 1', () => {
    expect(createFaultPicker({ truncate: 0, reset: 0, stall: 0, malformed: 0 }, 1)()).toBeNull();
    const always = createFaultPicker({ truncate: 0, reset: 1, stall: 0, malformed: 0 }, null);
    expect(Array.from({ length: 50 }, always).every((f) => f === 'reset')).toBe(true);
  });

  it('repeats itself with the same seed and keeps the rates', () => {
    const rates = { truncate: 0.1, reset: 0.2, stall: 0, malformed: 0.3 };
    const a = Array.from({ length: 10_000 }, createFaultPicker(rates, 42));
    const b = Array.from({ length: 10_000 }, createFaultPicker(rates, 42));
    expect(a).toEqual(b);
    const share = (name: string) => a.filter((f) => f === name).length / a.length;
    expect(share('truncate')).toBeCloseTo(0.1, 1);
    expect(share('reset')).toBeCloseTo(0.2, 1);
    expect(share('malformed')).toBeCloseTo(0.3, 1);
    expect(share('stall')).toBe(0);
  });
});

describe('keepAliveHeaderValue', () => {
  it('says timeout in whole seconds and max', () => {
    expect(keepAliveHeaderValue(5000, null)).toBe('timeout=5');
    expect(keepAliveHeaderValue(5000, 3)).toBe('timeout=5, max=3');
    expect(keepAliveHeaderValue(300, 3)).toBe('max=3');
    expect(keepAliveHeaderValue(null, null)).toBeNull();
  });
});

describe('planResponse', () => {
  const defaults = { bodySize: 13, latencyMs: 0 };
  const base = { status: 200, bodyBytes: 13, latencyMs: 0, echoHeaders: false };
  it('reads size, latency and status from the query', () => {
    expect(planResponse('/', defaults, base)).toEqual({ plan: base });
    expect(planResponse('/x?size=1k&latency=20ms&status=404', defaults, base)).toEqual({
      plan: { status: 404, bodyBytes: 1024, latencyMs: 20, echoHeaders: false },
    });
    expect(planResponse('/echo-headers?latency=5', defaults, base)).toEqual({ plan: { ...base, latencyMs: 5, echoHeaders: true } });
  });
  it.each(['size=abc', 'latency=soon', 'status=99', 'status=2x0'])('answers 400 to ?%s naming the parameter', (query) => {
    const result = planResponse(`/?${query}`, defaults, base);
    expect(result).toHaveProperty('badRequest');
    expect((result as { badRequest: string }).badRequest).toMatch(new RegExp(`^${query.split('=')[0]}: expected`));
  });
});

describe('serve command arguments', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'connload-serve-'));
    await writeFile(path.join(dir, 'cert.pem'), 'CERT');
    await writeFile(path.join(dir, 'key.pem'), 'KEY');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('maps the defaults to the server defaults (except the port)', () => {
    expect(serverOptionsFromArgs(CLI_DEFAULTS)).toEqual({ ...DEFAULT_SERVER_OPTIONS, port: 8080 });
  });

  it('parses units, faults and TLS files', () => {
    const options = serverOptionsFromArgs({
      ...CLI_DEFAULTS,
      latency: '20ms',
      'body-size': '1k',
      'keepalive-timeout': 'off',
      'keepalive-max': 5,
      'close-style': 'rst',
      fault: ['truncate=0.01', 'reset=2%,stall=0.1'],
      stall: '1.5s',
      seed: 7,
      tls: true,
      cert: path.join(dir, 'cert.pem'),
      key: path.join(dir, 'key.pem'),
    });
    expect(options).toMatchObject({
      latencyMs: 20,
      bodySize: 1024,
      keepAliveTimeoutMs: null,
      keepAliveMax: 5,
      closeStyle: 'rst',
      faults: { truncate: 0.01, reset: 0.02, stall: 0.1, malformed: 0 },
      stallMs: 1500,
      seed: 7,
    });
    expect(options.tls).toEqual({ cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
    expect(serverOptionsFromArgs({ ...CLI_DEFAULTS, 'keepalive-timeout': '250' }).keepAliveTimeoutMs).toBe(250);
  });

  it.each([
    [{ fault: ['explode=0.1'] }, '--fault: unknown fault "explode", expected one of truncate, reset, stall, malformed'],
    [{ fault: ['reset=1.5'] }, '--fault reset: expected a rate 0..1'],
    [{ fault: ['reset'] }, '--fault: expected name=rate'],
    [{ fault: ['reset=0.7', 'stall=0.7'] }, '--fault: expected rates adding up to at most 1'],
    [{ tls: true }, '--tls: expected both --cert <file> and --key <file>'],
    [{ latency: 'soon' }, '--latency: expected a duration'],
    [{ 'body-size': 'big' }, '--body-size: expected a size'],
    [{ 'keepalive-max': 0 }, '--keepalive-max: expected a number of responses >= 1'],
    [{ port: -1 }, '--port: expected a port'],
  ])('rejects %j', (args, message) => {
    expect(usageMessage(() => serverOptionsFromArgs({ ...CLI_DEFAULTS, ...args }))).toContain(message);
  });

  it('names an unreadable certificate file', () => {
    const missing = path.join(dir, 'missing.pem');
    const message = usageMessage(() => serverOptionsFromArgs({ ...CLI_DEFAULTS, tls: true, cert: missing, key: path.join(dir, 'key.pem') }));
    expect(message).toContain(`--cert: cannot read PEM file "${missing}"`);
  });

  it('accepts percentages and comma lists of faults', () => {
    expect(parseFaults(['malformed=50%'])).toEqual({ truncate: 0, reset: 0, stall: 0, malformed: 0.5 });
  });

  it('prints totals with sessions and faults only when there are some', () => {
    const stats = { connections: 3, requests: 10, peakOpenConnections: 2, sessions: 0, faults: { truncate: 0, reset: 0, stall: 0, malformed: 0 } };
    expect(describeTotals(stats as never)).toBe('accepted 3 connections, answered 10 requests, peak 2 open');
    expect(describeTotals({ ...stats, sessions: 2, faults: { ...stats.faults, reset: 4 } } as never)).toBe(
      'accepted 3 connections, answered 10 requests, peak 2 open, 2 h2 sessions, faults reset=4',
    );
    const capacity = { limit: 4, peakInService: 4, peakQueue: 6, waited: 8, waitTotalMs: 120, waitMeanMs: 15 };
    expect(describeTotals({ ...stats, capacity } as never)).toBe(
      'accepted 3 connections, answered 10 requests, peak 2 open\ncapacity 4 at once: peak in service 4, peak queue 6, 8 requests waited (total 120.0 ms, mean 15.0 ms)',
    );
  });
});
