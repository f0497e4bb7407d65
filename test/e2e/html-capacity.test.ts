// The HTML report of `connload find`: a Capacity section with the curve (latency p50/p99 against
// the load, errors on the right axis, the threshold's bound as a line) drawn by the page, and the steps.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityPoint, ResultDocument } from '../../src/metrics/result.js';
import { renderHtml } from '../../src/report/html.js';
import { makeResultFixture } from '../helpers/result-fixture.js';
import { assertValidResult } from '../helpers/schema.js';

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connload-html-capacity-'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function point(load: number, p50: number, p99: number, ok: boolean): CapacityPoint {
  return {
    load,
    phase: `rate ${load}/s`,
    ok,
    failedThreshold: ok ? null : 'latency.p99 < 50ms',
    failedActual: ok ? null : p99,
    requestsPerSecond: load,
    latencyP50Ms: p50,
    latencyP99Ms: p99,
    errors: 0,
    errorRate: 0,
    connectionsOpened: 12,
    timeWaitPeak: 3,
  };
}

function findDocument(): ResultDocument {
  const doc = makeResultFixture();
  doc.capacity = {
    by: 'rate',
    value: 375,
    failedAt: 400,
    failedThreshold: 'latency.p99 < 50ms',
    thresholds: ['latency.p99 < 50ms'],
    stoppedBy: 'converged',
    curve: [
      point(50, 10.5, 12, true),
      point(100, 10.6, 13, true),
      point(200, 10.8, 16, true),
      point(300, 11, 21, true),
      point(350, 11.4, 29, true),
      point(375, 12, 41, true),
      point(400, 60, 190, false),
    ],
  };
  return doc;
}

describe('HTML report of connload find', () => {
  it('has a Capacity section whose curve is drawn, with the verdict and a row per step', async () => {
    const doc = findDocument();
    assertValidResult(doc);
    const file = join(dir, 'find.html');
    await writeFile(file, renderHtml([doc]));
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await page.waitForFunction(() => (window as unknown as { connloadCharts?: unknown[] }).connloadCharts?.length);
      expect(errors).toEqual([]);
      const section = await page.locator('section#capacity').innerText();
      expect(section).toContain('375 req/s');
      expect(section).toContain('it first failed at 400 req/s on latency.p99 < 50ms (actual 190ms)');
      expect(await page.locator('section#capacity table.capacity tbody tr').count()).toBe(7);
      const chart = await page.evaluate(() => {
        type Drawn = { id: string; kind: string; el: HTMLElement; plot: { data: Array<Array<number | null>> } };
        const d = (window as unknown as { connloadCharts: Drawn[] }).connloadCharts.find((c) => c.id === 'capacity-curve')!;
        const canvas = d.el.querySelector('canvas')!;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let ink = 0;
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3]! > 128 && Math.max(pixels[i]!, pixels[i + 1]!, pixels[i + 2]!) - Math.min(pixels[i]!, pixels[i + 1]!, pixels[i + 2]!) > 60) ink++;
        }
        return { kind: d.kind, x: d.plot.data[0], series: d.plot.data.length - 1, ink };
      });
      expect(chart.kind).toBe('capacity');
      expect(chart.x).toEqual([50, 100, 200, 300, 350, 375, 400]);
      expect(chart.series).toBe(4); // p50, p99, errors %, the threshold's bound
      expect(chart.ink).toBeGreaterThan(150);
    } finally {
      await context.close();
    }
  });

  it('--by connect-rate names the load in connections/s and shows the rate each step reached', () => {
    const doc = findDocument();
    doc.capacity = {
      ...doc.capacity!,
      by: 'connect-rate',
      failedThreshold: 'connections.perSecond >= 360',
      curve: doc.capacity!.curve.map((p) => ({
        ...p,
        phase: `connect-rate ${p.load}/s`,
        connectionsOpened: p.load * 3,
        connectionsPerSecond: p.ok ? p.load : 300,
        ...(p.ok ? {} : { failedThreshold: 'connections.perSecond >= 360', failedActual: 300 }),
      })),
    };
    assertValidResult(doc);
    const html = renderHtml([doc]);
    expect(html).toContain('<strong>375 connections/s</strong>');
    expect(html).toContain('it first failed at 400 connections/s on <code>connections.perSecond &gt;= 360</code> (actual 300)');
    expect(html).toContain('<td>1,125 (375/s)</td>');
    expect(html).toContain('Capacity curve: latency against connections/s');
  });

  it('a result without capacity has no Capacity section', () => {
    expect(renderHtml([makeResultFixture()])).not.toContain('id="capacity"');
  });
});
