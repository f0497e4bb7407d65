// HDR histograms of microsecond values, and their transport encoding.
import * as hdr from 'hdr-histogram-js';
import { HISTOGRAM_DIGITS, HISTOGRAM_MAX_US } from './catalog.js';

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_MAX_US,
    numberOfSignificantValueDigits: HISTOGRAM_DIGITS,
  });
}

export function recordUs(h: Histogram, us: number): void {
  const v = us < 1 ? 1 : us > HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : Math.round(us);
  h.recordValue(v);
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded);
}

/** Adds `encoded` into `into` (exact merge: the counts are added bucket by bucket). */
export function mergeEncoded(into: Histogram, encoded: string): void {
  into.add(decodeHistogram(encoded));
}
