// Connection lifecycles: --max-requests-per-connection and --max-connection-age take one value
// or a range ("80-120", "20s-40s"). Each connection draws its own limit uniformly in the range
// when it opens (run/lanes.ts), so a pool's connections do not all retire together, as Fortio's
// `-connection-reuse min:max`. Problems come back as text without the option's name.
import { parseDurationMs } from '../units.js';
import { MAX_TIMER_MS } from './limits.js';
import type { LimitRange } from './types.js';

const show = (v: unknown): string => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v)));

/** "A-B" with one dash (durations and counts have no sign), or null. */
function splitRange(text: string): [string, string] | null {
  const parts = text.split('-');
  if (parts.length !== 2) return null;
  const [a, b] = parts.map((p) => p.trim()) as [string, string];
  return a === '' || b === '' ? null : [a, b];
}

const backwards = (given: string, example: string): string => `range ${show(given)} is written backwards: expected MIN-MAX with MIN <= MAX, e.g. ${example}`;

const WHOLE_RE = /^\d+$/;
const REQUESTS_EXPECTED = 'a positive integer or a range MIN-MAX of them, e.g. 100 or 80-120';

/** --max-requests-per-connection: 100, "100" or "80-120" (whole numbers >= 1). */
export function parseRequestsRange(value: unknown): LimitRange | string {
  const bad = `expected ${REQUESTS_EXPECTED}, got ${show(value)}`;
  const whole = (n: number): boolean => Number.isSafeInteger(n) && n >= 1;
  if (typeof value === 'number') return whole(value) ? { min: value, max: value } : bad;
  if (typeof value !== 'string') return bad;
  const text = value.trim();
  const sides = WHOLE_RE.test(text) ? [text, text] : splitRange(text);
  if (sides === null || !sides.every((s) => WHOLE_RE.test(s))) return bad;
  const [min, max] = sides.map(Number) as [number, number];
  if (!whole(min) || !whole(max)) return bad;
  if (min > max) return backwards(text, '80-120');
  return { min, max };
}

const AGE_EXPECTED = 'a duration > 0 or a range MIN-MAX of them, e.g. 30s or 20s-40s';
const BARE_NUMBER_RE = /^\d+(\.\d+)?$/;

/**
 * --max-connection-age in ms: 30 (seconds), "30s" or "20s-40s". A bare number on the left takes
 * the unit of the right ("500-900ms" is 500ms-900ms), as a reader takes it.
 */
export function parseAgeRangeMs(value: unknown): LimitRange | string {
  const bad = `expected ${AGE_EXPECTED}, got ${show(value)}`;
  let min: number | null;
  let max: number | null;
  if (typeof value === 'number') min = max = parseDurationMs(value, 's');
  else if (typeof value === 'string') {
    const text = value.trim();
    const sides = splitRange(text);
    if (sides === null) min = max = parseDurationMs(text, 's');
    else {
      const [left, right] = sides;
      const unit = /[a-z]+$/i.exec(right)?.[0] ?? '';
      min = parseDurationMs(BARE_NUMBER_RE.test(left) ? `${left}${unit}` : left, 's');
      max = parseDurationMs(right, 's');
    }
  } else return bad;
  if (min === null || max === null || !(min > 0) || !(max > 0)) return bad;
  if (max > MAX_TIMER_MS) return `expected at most ${MAX_TIMER_MS} ms, about 24.8 days (the longest delay Node's timers take), got ${show(value)}`;
  if (min > max) return backwards(String(value).trim(), '20s-40s');
  return { min, max };
}

/** "80-120", or "100" for one value; `unit` formats each end ("20s-40s"). */
export function formatRange(range: LimitRange, unit: (n: number) => string = String): string {
  return range.min === range.max ? unit(range.min) : `${unit(range.min)}-${unit(range.max)}`;
}

/** As the result's options echo it: the number for one value (as before ranges existed), {min, max} for a range. */
export function rangeOption(range: LimitRange | null): number | LimitRange | null {
  if (range === null) return null;
  return range.min === range.max ? range.min : { min: range.min, max: range.max };
}
