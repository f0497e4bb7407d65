// Checks the workers' integer histogram (UsHistogram) against hdr-histogram-js, which it replaces on
// the hot path: same bucket for every value, and the same encoded string for the same recordings.
//   npm run build && node test/bench/histogram-check.mjs
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { decodeHistogram, newHistogram, UsHistogram } from '../../dist/metrics/histogram.js';
import { HISTOGRAM_MAX_US } from '../../dist/metrics/catalog.js';

function valuesToCheck() {
  const values = [0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, HISTOGRAM_MAX_US - 1, HISTOGRAM_MAX_US];
  for (let bit = 0; bit < 32; bit++) for (const d of [-1, 0, 1]) values.push(2 ** bit + d);
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 200_000; i++) values.push(Math.floor(random() ** 4 * HISTOGRAM_MAX_US));
  return values.filter((v) => v >= 0 && v <= HISTOGRAM_MAX_US);
}

function sameEncoding(values, label) {
  const ours = new UsHistogram();
  const theirs = newHistogram();
  for (const v of values) {
    ours.recordCount(v);
    theirs.recordValue(v);
  }
  assert.equal(ours.encode(), hdr.encodeIntoCompressedBase64(theirs), `encoding of ${label}`);
  const back = decodeHistogram(ours.encode());
  for (const p of [50, 90, 99, 99.9, 100]) assert.equal(back.getValueAtPercentile(p), theirs.getValueAtPercentile(p), `p${p} of ${label}`);
}

const values = valuesToCheck();
for (const v of values.slice(0, 300)) sameEncoding([v], `value ${v}`);
for (let v = 0; v < 70_000; v += 7) sameEncoding([v, v + 1, 3 * v + 2], `value ${v}`);
sameEncoding([], 'no values');
sameEncoding(values, `${values.length} pseudo-random values`);
sameEncoding(
  Array.from({ length: 5000 }, (_, i) => 100 + (i % 300)),
  'a narrow range',
);
const reusedCheck = new UsHistogram();
const newOnly = new UsHistogram();
for (const v of [5, 6, 7, 700, 80_000]) reusedCheck.record(v);
for (const v of [7, 80_000]) newOnly.record(v);
assert.equal(reusedCheck.minus(newOnly).totalCount, 3);
console.log(`histogram check: ${values.length + 10_000 * 3} values, buckets and encodings identical to hdr-histogram-js`);
