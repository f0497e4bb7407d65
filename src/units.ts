// Parsing of durations and sizes as users write them ("10s", "250ms", "1.5m", "64k").

const DURATION_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)?$/;

/**
 * A duration in milliseconds, from a number (taken as `defaultUnit`) or a string
 * with a unit. Returns null when the text is not a duration.
 */
export function parseDurationMs(value: unknown, defaultUnit: 'ms' | 's' = 's'): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * DURATION_UNITS_MS[defaultUnit]! : null;
  if (typeof value !== 'string') return null;
  const m = DURATION_RE.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * DURATION_UNITS_MS[m[2] ?? defaultUnit]!;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmg]?b?)$/i;

/** A size in bytes from a number or "64k", "2mb". Returns null when not a size. */
export function parseSizeBytes(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const m = SIZE_RE.exec(value.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}

export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
