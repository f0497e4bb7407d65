// The start barrier (--start-at): an ISO time or epoch milliseconds, checked
// against the clock so a typo does not make a runner wait for a day or start at once.

/** How far in the past a start time may be: runners whose pods start a little late still start at once. */
export const START_AT_PAST_TOLERANCE_MS = 5_000;
/** How far ahead a start time may be. */
export const START_AT_MAX_AHEAD_MS = 24 * 3_600_000;

/** Epoch ms, or a problem (without the option's name). */
export function parseStartAt(value: unknown, nowEpochMs: number): number | string {
  let epochMs: number;
  if (typeof value === 'number') epochMs = value;
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) epochMs = Number(value);
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value.trim())) epochMs = Date.parse(value.trim());
  else epochMs = NaN;
  if (!Number.isFinite(epochMs)) {
    return `expected an ISO time (2026-12-03T12:00:00Z) or epoch milliseconds, got ${JSON.stringify(value) ?? String(value)}`;
  }
  const iso = new Date(epochMs).toISOString();
  if (epochMs < nowEpochMs - START_AT_PAST_TOLERANCE_MS) {
    return `${iso} is ${((nowEpochMs - epochMs) / 1000).toFixed(1)} s in the past: expected a time at most ${START_AT_PAST_TOLERANCE_MS / 1000} s ago`;
  }
  if (epochMs > nowEpochMs + START_AT_MAX_AHEAD_MS) {
    return `${iso} is more than 24 h ahead: expected a time within 24 h`;
  }
  return epochMs;
}
