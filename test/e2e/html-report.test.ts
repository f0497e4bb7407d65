// The HTML report opened in headless Chromium: it must load offline (only file:/data: requests),
// without console or page errors, draw data in every chart, in light, dark and print media.
// Screenshots are left in /tmp for people to look at.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/metrics/catalog.js';
import type { ResultDocument } from '../../src/metrics/result.js';
import { renderHtml } from '../../src/report/html.js';
import { makeResultFixture } from '../helpers/result-fixture.js';

const SCREENSHOT_DIR = '/tmp';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface OpenedReport {
  page: Page;
  consoleErrors: string[];
  pageErrors: string[];
  requests: string[];
  close: () => Promise<void>;
}

interface ChartInk {
  id: string;
  kind: string;
  seriesCount: number;
  points: number;
  /** Canvas pixels in a saturated colour: series, not the grey grid and axes. */
  inkPixels: number;
  canvasCssWidth: number;
}

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connload-html-'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function writeReport(name: string, docs: ResultDocument[], labels?: string[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, renderHtml(docs, labels ? { labels } : {}));
  return file;
}

async function openReport(file: string, colorScheme: 'light' | 'dark'): Promise<OpenedReport> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const opened: OpenedReport = { page, consoleErrors: [], pageErrors: [], requests: [], close: () => context.close() };
  page.on('console', (message) => {
    if (message.type() === 'error') opened.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => opened.pageErrors.push(error.message));
  page.on('request', (request) => opened.requests.push(request.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForFunction(() => (window as unknown as { connloadCharts?: unknown[] }).connloadCharts?.length);
  return opened;
}

/** Reads every chart's canvas and counts the pixels drawn in a saturated colour. */
function chartInk(page: Page): Promise<ChartInk[]> {
  return page.evaluate(() => {
    type Drawn = { id: string; kind: string; el: HTMLElement; plot: { data: Array<Array<number | null>> } };
    const drawn = (window as unknown as { connloadCharts: Drawn[] }).connloadCharts;
    return drawn.map((d) => {
      const canvas = d.el.querySelector('canvas')!;
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let inkPixels = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const [r, g, b, a] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!];
        if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) inkPixels++;
      }
      const points = d.plot.data.slice(1).reduce((n, column) => n + column.filter((v) => v !== null).length, 0);
      return { id: d.id, kind: d.kind, seriesCount: d.plot.data.length - 1, points, inkPixels, canvasCssWidth: canvas.getBoundingClientRect().width };
    });
  });
}

function expectCleanLoad(report: OpenedReport): void {
  expect(report.pageErrors).toEqual([]);
  expect(report.consoleErrors).toEqual([]);
  expect(report.requests.length).toBeGreaterThan(0);
  expect(report.requests.filter((url) => !url.startsWith('file://') && !url.startsWith('data:'))).toEqual([]);
}

function expectInkEverywhere(charts: ChartInk[]): void {
  for (const chart of charts) {
    expect(chart.points, `${chart.id} has data`).toBeGreaterThan(0);
    expect(chart.inkPixels, `${chart.id} has drawn data`).toBeGreaterThan(150);
  }
}

async function screenshot(page: Page, name: string): Promise<{ path: string; bytes: number; width: number; height: number }> {
  const path = join(SCREENSHOT_DIR, name);
  const png = await page.screenshot({ path, fullPage: true });
  // PNG IHDR: width and height are the big-endian words at bytes 16 and 20.
  return { path, bytes: (await stat(path)).size, width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function pageBackground(page: Page): Promise<number[]> {
  return page.evaluate(() => (getComputedStyle(document.body).backgroundColor.match(/\d+/g) ?? []).slice(0, 3).map(Number));
}

describe('HTML report of one result', () => {
  const doc = makeResultFixture();
  // The fixture has every metric of the catalogue; 4 time series; the requests-per-connection bars.
  const expectedCharts = METRIC_NAMES.length + 4 + 1;

  it('loads offline without errors and draws every chart (light)', async () => {
    const report = await openReport(await writeReport('single.html', [doc]), 'light');
    try {
      expectCleanLoad(report);
      const charts = await chartInk(report.page);
      expect(charts.map((c) => c.id)).toContain('percentile-ttfb');
      expect(charts.map((c) => c.id)).toEqual(
        expect.arrayContaining(['series-requests', 'series-connections', 'series-timewait', 'series-errors', 'requests-per-connection']),
      );
      expect(charts).toHaveLength(expectedCharts);
      expectInkEverywhere(charts);
      expect((await pageBackground(report.page)).every((c) => c > 200)).toBe(true);
      const shot = await screenshot(report.page, 'connload-report-light.png');
      expect(shot.bytes).toBeGreaterThan(100_000);
      expect(shot.width).toBe(1280);
      expect(shot.height).toBeGreaterThan(3000);
    } finally {
      await report.close();
    }
  });

  it('reads well in the dark colour scheme', async () => {
    const report = await openReport(await writeReport('single.html', [doc]), 'dark');
    try {
      expectCleanLoad(report);
      expect((await pageBackground(report.page)).every((c) => c < 60)).toBe(true);
      expectInkEverywhere(await chartInk(report.page));
      const shot = await screenshot(report.page, 'connload-report-dark.png');
      expect(shot.bytes).toBeGreaterThan(100_000);
    } finally {
      await report.close();
    }
  });

  it('prints: white background, no sticky navigation, charts within the page width', async () => {
    const report = await openReport(await writeReport('single.html', [doc]), 'dark');
    try {
      await report.page.emulateMedia({ media: 'print' });
      // The page redraws its charts with the print colours when the media changes.
      await report.page.waitForFunction(() => getComputedStyle(document.querySelector('.toc')!).display === 'none');
      expect(await pageBackground(report.page)).toEqual([255, 255, 255]);
      const charts = await chartInk(report.page);
      expectInkEverywhere(charts);
      const mainWidth = await report.page.evaluate(() => document.querySelector('main')!.getBoundingClientRect().width);
      for (const chart of charts) expect(chart.canvasCssWidth).toBeLessThanOrEqual(mainWidth);
      const pdf = await report.page.pdf({ format: 'A4', printBackground: true });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      await writeFile(join(SCREENSHOT_DIR, 'connload-report.pdf'), pdf);
      const shot = await screenshot(report.page, 'connload-report-print.png');
      expect(shot.bytes).toBeGreaterThan(50_000);
      expect(report.pageErrors).toEqual([]);
      expect(report.consoleErrors).toEqual([]);
    } finally {
      await report.close();
    }
  });

  it('shows no TIME_WAIT chart when ports were not sampled, and says so', async () => {
    const report = await openReport(await writeReport('unsupported.html', [makeResultFixture({ portsSupported: false })]), 'light');
    try {
      expectCleanLoad(report);
      const charts = await chartInk(report.page);
      expect(charts.map((c) => c.id)).not.toContain('series-timewait');
      expectInkEverywhere(charts);
      expect(await report.page.textContent('#summary')).toContain('not sampled');
    } finally {
      await report.close();
    }
  });

  it('renders a phase that recorded nothing (interrupted at once) beside one that did', async () => {
    const partial = makeResultFixture();
    const empty = partial.phases[1]!;
    Object.assign(empty, { metrics: {}, series: [], thresholds: [], errors: {}, interrupted: true });
    Object.assign(empty.connections, { opened: 0, requestsPerConnection: { mean: 0, max: 0, hdr: '' } });
    const report = await openReport(await writeReport('partial.html', [partial]), 'light');
    try {
      expectCleanLoad(report);
      const charts = await chartInk(report.page);
      expectInkEverywhere(charts);
      expect(charts.find((c) => c.id === 'percentile-ttfb')!.seriesCount).toBe(1);
      expect(await report.page.textContent('#notes')).toContain('interrupted');
    } finally {
      await report.close();
    }
  });

  it('keeps hostile text as text: a note cannot close the data script or run code', async () => {
    const hostile = makeResultFixture();
    hostile.phases[0]!.notes.push('</script><script>window.__injected = 1</script><img src=x onerror="window.__injected = 2">');
    hostile.phases[0]!.name = '<b>new</b>/connection';
    const report = await openReport(await writeReport('hostile.html', [hostile]), 'light');
    try {
      expectCleanLoad(report);
      expect(await report.page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
      expect(await report.page.textContent('#notes')).toContain('</script><script>window.__injected = 1</script>');
      const embedded = await report.page.evaluate(() => JSON.parse(document.getElementById('connload-result')!.textContent!) as ResultDocument);
      expect(embedded.phases[0]!.notes).toEqual(hostile.phases[0]!.notes);
    } finally {
      await report.close();
    }
  });
});

describe('HTML report comparing results', () => {
  it('overlays the phases of every result, labelled "<label> / <phase>"', async () => {
    const before = makeResultFixture({ seed: 1 });
    const after = makeResultFixture({ seed: 2, slowdown: 1.6 });
    const report = await openReport(await writeReport('compare.html', [before, after], ['before.json', 'after.json']), 'light');
    try {
      expectCleanLoad(report);
      const charts = await chartInk(report.page);
      expectInkEverywhere(charts);
      expect(charts.find((c) => c.id === 'percentile-ttfb')!.seriesCount).toBe(4);
      expect(charts.find((c) => c.id === 'series-requests')!.seriesCount).toBe(4);
      const legend = await report.page.textContent('#percentile-ttfb .u-legend');
      for (const label of ['before.json / new-connection', 'before.json / persistent', 'after.json / new-connection', 'after.json / persistent']) {
        expect(legend).toContain(label);
      }
      const shot = await screenshot(report.page, 'connload-report-compare.png');
      expect(shot.bytes).toBeGreaterThan(100_000);
    } finally {
      await report.close();
    }
  });
});
