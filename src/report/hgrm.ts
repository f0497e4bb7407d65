// HdrHistogram percentile-distribution files (`.hgrm`), the text of Java HdrHistogram's
// outputPercentileDistribution, readable by its plotter. Values are recorded in microseconds
// and written in milliseconds.
import type { JsHistogram } from 'hdr-histogram-js';
import { METRIC_NAMES } from '../metrics/catalog.js';
import { decodeJsHistogram } from '../metrics/histogram.js';
import type { ResultDocument } from '../metrics/result.js';

const US_PER_MS = 1000;

export interface HgrmOptions {
  /** Percentile rows per halving of the distance to 100% (HdrHistogram's default is 5). */
  ticksPerHalfDistance?: number;
}

export interface HgrmRow {
  valueMs: number;
  /** 0..1, as in the file. */
  percentile: number;
  totalCount: number;
}

/**
 * Decodes a compressed base64 HdrHistogram. Always the JS implementation: the
 * iterators used by the reports exist only there.
 */
export function decodeHdr(hdrBase64: string, what = 'hdr'): JsHistogram {
  try {
    return decodeJsHistogram(hdrBase64);
  } catch (err) {
    throw new Error(`${what}: expected a compressed base64 HdrHistogram (${(err as Error).message})`);
  }
}

export function renderHgrm(hdrBase64: string, options: HgrmOptions = {}): string {
  const ticks = options.ticksPerHalfDistance ?? 5;
  if (!Number.isInteger(ticks) || ticks < 1) {
    throw new Error(`ticksPerHalfDistance: expected a positive integer, got ${ticks}`);
  }
  // hdr-histogram-js prints the same columns, widths and footer as the Java original
  // ("%12.{d}f %2.12f %10d %14.2f"); checked by test/unit/hgrm.test.ts.
  return decodeHdr(hdrBase64).outputPercentileDistribution(ticks, US_PER_MS);
}

/** One `.hgrm` file per phase and metric that has values: `<phase>.<metric>.hgrm`. */
export function hgrmFiles(doc: ResultDocument, options: HgrmOptions = {}): Array<{ name: string; content: string }> {
  const files: Array<{ name: string; content: string }> = [];
  const used = new Set<string>();
  for (const phase of doc.phases) {
    const base = uniqueBase(safeFileName(phase.name), used);
    for (const metric of METRIC_NAMES) {
      const summary = phase.metrics[metric];
      if (!summary || summary.count <= 0) continue;
      files.push({ name: `${base}.${metric}.hgrm`, content: renderHgrm(summary.hdr, options) });
    }
  }
  return files;
}

/** Reads the rows of an `.hgrm` text (header, blank lines and `#[` footer lines are skipped). */
export function parseHgrm(text: string): HgrmRow[] {
  const rows: HgrmRow[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || /^Value\s/.test(trimmed)) return;
    const fields = trimmed.split(/\s+/);
    const [value, percentile, count] = fields.map(Number);
    if (fields.length < 3 || fields.length > 4 || ![value, percentile, count].every(Number.isFinite)) {
      throw new Error(`hgrm line ${index + 1}: expected "value percentile totalCount [1/(1-percentile)]", got "${trimmed}"`);
    }
    rows.push({ valueMs: value!, percentile: percentile!, totalCount: count! });
  });
  return rows;
}

/** Phase names are free text; file names keep letters, digits, `-`, `_` and `.` only. */
function safeFileName(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 100);
  return safe === '' ? 'phase' : safe;
}

function uniqueBase(base: string, used: Set<string>): string {
  let candidate = base;
  for (let n = 2; used.has(candidate); n++) candidate = `${base}-${n}`;
  used.add(candidate);
  return candidate;
}
