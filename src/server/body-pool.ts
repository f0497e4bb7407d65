// Response body bytes: one growing buffer of a fixed pattern, handed out in slices.
const BODY_PATTERN = 'Hello, world\n';
const MIN_POOL_BYTES = 4096;
/** Past this the pool grows to exactly what is asked, not to double its size. */
const MAX_DOUBLING_BYTES = 64 * 1024 * 1024;

export class BodyPool {
  private pool = Buffer.alloc(0);

  /** `bytes` bytes of the pattern ("Hello, world\n" repeated); do not modify. */
  get(bytes: number): Buffer {
    if (bytes > this.pool.length) {
      const doubled = this.pool.length * 2 <= MAX_DOUBLING_BYTES ? this.pool.length * 2 : 0;
      this.pool = Buffer.alloc(Math.max(bytes, doubled, MIN_POOL_BYTES), BODY_PATTERN, 'latin1');
    }
    return this.pool.subarray(0, bytes);
  }
}
