// Number and date formatting of the HTML report (fixed locale: a report must read the same everywhere).

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const threeSignificant = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

export const DASH = '\u2013';

export function fmtInt(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? DASH : integer.format(value);
}

/** Three significant digits below 1000, whole numbers above: 0.123, 12.3, 1,234. */
export function fmtNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return Math.abs(value) >= 1000 ? integer.format(value) : threeSignificant.format(value);
}

export function fmtMs(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? DASH : `${fmtNumber(value)} ms`;
}

/** A 0..1 ratio as a percentage. */
export function fmtRatio(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? DASH : `${fmtNumber(value * 100)}%`;
}

export function fmtDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A phase option value as the user would have written it. */
export function fmtOption(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(',');
  // A range each connection draws from (maxRequestsPerConnection, maxConnectionAgeMs): MIN-MAX, as written.
  if (isRange(value)) return `${value.min}-${value.max}`;
  return JSON.stringify(value) ?? String(value);
}

function isRange(value: unknown): value is { min: number; max: number } {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  const { min, max } = value as Record<string, unknown>;
  return keys.length === 2 && typeof min === 'number' && typeof max === 'number';
}
