// HDR histograms of microsecond values, and their transport encoding.
// Workers record into UsHistogram (integer arithmetic, and its own encoder); hdr-histogram-js is
// loaded on first use only, so a worker thread never loads it (2-3 MB of RSS per thread, measured on Node 20).
import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import type * as Hdr from 'hdr-histogram-js';

/** Histogram range: 1 us to 1 hour, 3 significant digits. */
export const HISTOGRAM_MAX_US = 3_600_000_000;
export const HISTOGRAM_DIGITS = 3;

export type Histogram = Hdr.Histogram;

let hdrModule: typeof Hdr | null = null;
function hdr(): typeof Hdr {
  hdrModule ??= createRequire(import.meta.url)('hdr-histogram-js') as typeof Hdr;
  return hdrModule;
}

export function newHistogram(): Histogram {
  return hdr().build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_MAX_US,
    numberOfSignificantValueDigits: HISTOGRAM_DIGITS,
  });
}

export function recordUs(h: Histogram, us: number): void {
  const v = us < 1 ? 1 : us > HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : Math.round(us);
  h.recordValue(v);
}

// The bucket layout of newHistogram() (lowest value 1, 3 significant digits): sub-buckets of 2^11 values,
// the upper half of each reused by the next bucket at twice the unit. HISTOGRAM_MAX_US < 2^32, so integer
// bit operations give the same index as hdr-histogram-js's log2/pow arithmetic, without its float work.
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const COUNTS_LENGTH = countsLength();

function countsLength(): number {
  if (HISTOGRAM_DIGITS !== 3 || HISTOGRAM_MAX_US >= 2 ** 32) {
    throw new Error('UsHistogram assumes 3 significant digits and values below 2^32 us');
  }
  return countsIndex(HISTOGRAM_MAX_US) + 1;
}

function countsIndex(value: number): number {
  const bucket = Math.max(31 - Math.clz32(value) - SUB_BUCKET_HALF_MAGNITUDE, 0);
  return bucket * SUB_BUCKET_HALF_COUNT + (value >>> bucket);
}

/** Lowest value that lands at `index` (inverse of countsIndex). */
function valueAtIndex(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let subBucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    subBucket -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return subBucket * 2 ** bucket;
}

/**
 * The hot-path histogram of one worker: a counts array with newHistogram()'s layout, recorded with
 * integer arithmetic only, and encoded into the same compressed form as hdr-histogram-js.
 */
export class UsHistogram {
  readonly counts = new Float64Array(COUNTS_LENGTH);
  totalCount = 0;

  /** Records a duration in us: rounded, and clamped to 1 us..HISTOGRAM_MAX_US. */
  record(us: number): void {
    const v = us < 1 ? 1 : us > HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : Math.round(us);
    this.counts[countsIndex(v)]++;
    this.totalCount++;
  }

  /** Records a count (0 included), clamped to HISTOGRAM_MAX_US. */
  recordCount(n: number): void {
    this.counts[countsIndex(n > HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : Math.round(n))]++;
    this.totalCount++;
  }

  /** Removes the counts of `part`, which must have been recorded here too (e.g. reused = all - new). */
  minus(part: UsHistogram): UsHistogram {
    const out = new UsHistogram();
    const a = this.counts;
    const b = part.counts;
    for (let i = 0; i < COUNTS_LENGTH; i++) out.counts[i] = a[i]! - b[i]!;
    out.totalCount = this.totalCount - part.totalCount;
    return out;
  }

  toHistogram(): Histogram {
    const h = newHistogram();
    const counts = this.counts;
    for (let i = 0; i < COUNTS_LENGTH; i++) {
      const n = counts[i]!;
      if (n > 0) h.recordValueWithCount(valueAtIndex(i), n);
    }
    return h;
  }

  /** The compressed base64 form that decodeHistogram() reads: byte for byte what hdr-histogram-js writes. */
  encode(): string {
    return encodeCounts(this.counts);
  }
}

// HdrHistogram V2 encoding, as hdr-histogram-js writes it (JsHistogram.encoding.js): a 40-byte header,
// then counts as ZigZag LEB128 with runs of zeros as one negative number; deflated behind a cookie.
const V2_ENCODING_COOKIE = 0x1c849303 | 0x10;
const V2_COMPRESSED_ENCODING_COOKIE = 0x1c849304 | 0x10;
const HEADER_BYTES = 40;

/** Reused by every encode of the thread (once a second per worker, for the live display). */
let scratch = Buffer.allocUnsafe(0);

function encodeCounts(counts: Float64Array): string {
  let limit = COUNTS_LENGTH;
  while (limit > 1 && counts[limit - 1] === 0) limit--;
  const needed = HEADER_BYTES + limit * 9; // at most 9 bytes per count
  if (scratch.length < needed) scratch = Buffer.allocUnsafe(needed);
  const out = scratch;
  let pos = HEADER_BYTES;
  const put = (word: number): void => {
    let v = word >= 0 ? word * 2 : -word * 2 - 1;
    while (v >= 128) {
      out[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    out[pos++] = v;
  };
  for (let i = 0; i < limit;) {
    const n = counts[i++]!;
    if (n !== 0) {
      put(n);
      continue;
    }
    let zeros = 1;
    while (i < limit && counts[i] === 0) {
      zeros++;
      i++;
    }
    put(zeros > 1 ? -zeros : 0);
  }
  out.writeInt32BE(V2_ENCODING_COOKIE, 0);
  out.writeInt32BE(pos - HEADER_BYTES, 4);
  out.writeInt32BE(1, 8); // normalizing index offset, as hdr-histogram-js writes it
  out.writeInt32BE(HISTOGRAM_DIGITS, 12);
  out.writeBigInt64BE(1n, 16); // lowest discernible value
  out.writeBigInt64BE(BigInt(HISTOGRAM_MAX_US), 24);
  out.writeBigInt64BE(1n, 32); // integer to double conversion ratio
  const compressed = deflateSync(out.subarray(0, pos));
  const framed = Buffer.allocUnsafe(8 + compressed.length);
  framed.writeInt32BE(V2_COMPRESSED_ENCODING_COOKIE, 0);
  framed.writeInt32BE(compressed.length, 4);
  compressed.copy(framed, 8);
  return framed.toString('base64');
}

export function encodeHistogram(h: Histogram): string {
  return hdr().encodeIntoCompressedBase64(h);
}

/** `bitBucketSize` 64 for a histogram that many parts are added into (counts cannot overflow). */
export function decodeHistogram(encoded: string, bitBucketSize: 32 | 64 = 32): Histogram {
  return hdr().decodeFromCompressedBase64(encoded, bitBucketSize);
}

/** Decodes into the JS implementation always (the reports' iterators exist only there); throws on bytes that are not one. */
export function decodeJsHistogram(encoded: string): Hdr.JsHistogram {
  const lib = hdr();
  const histogram: unknown = lib.decodeFromCompressedBase64(encoded, 32, false);
  if (!(histogram instanceof lib.JsHistogram)) throw new Error('decoded into an unexpected histogram type');
  return histogram;
}

/** An empty histogram with newHistogram()'s layout and 64-bit buckets: the total of many parts. */
export function newTotalHistogram(): Histogram {
  return hdr().build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_MAX_US,
    numberOfSignificantValueDigits: HISTOGRAM_DIGITS,
    bitBucketSize: 64,
  });
}
