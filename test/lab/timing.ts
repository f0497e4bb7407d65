// Timing checks on a shared, noisy machine. Another process taking the CPU
// only ever adds time to a measurement, never removes it, so when a p50 is
// off, measuring again and keeping the lowest p50 finds the lab's own cost.

/**
 * Runs `measureP50` up to `attempts` times and returns the first p50 within
 * `toleranceMs` of `expectedMs`, or else the lowest one seen (so a lab that
 * is really too slow or too fast still fails the caller's assertion).
 */
export async function settledP50(measureP50: () => Promise<number>, expectedMs: number, toleranceMs: number, attempts = 3): Promise<number> {
  let lowest = Infinity;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const p50 = await measureP50();
    if (Math.abs(p50 - expectedMs) < toleranceMs) return p50;
    if (attempt < attempts) console.warn(`p50 ${p50.toFixed(2)} ms, expected ${expectedMs} ± ${toleranceMs} ms: measuring again (attempt ${attempt + 1} of ${attempts})`);
    lowest = Math.min(lowest, p50);
  }
  return lowest;
}

export function p50(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
