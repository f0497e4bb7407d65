// Picks at most one fault per request from the configured rates, reproducibly when seeded.
import { FAULT_NAMES, type FaultName, type FaultRates } from './types.js';

export type FaultPicker = () => FaultName | null;

/** mulberry32: small, fast, and good enough to spread faults evenly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createFaultPicker(rates: FaultRates, seed: number | null): FaultPicker {
  const active = FAULT_NAMES.filter((name) => rates[name] > 0);
  if (active.length === 0) return () => null;
  const random = seed === null ? Math.random : seededRandom(seed);
  return () => {
    // One draw over stacked intervals [0, r1), [r1, r1 + r2), ...: the rates stay exact.
    const draw = random();
    let upper = 0;
    for (const name of active) {
      upper += rates[name];
      if (draw < upper) return name;
    }
    return null;
  };
}
