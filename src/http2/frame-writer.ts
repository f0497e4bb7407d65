// Frames to one socket, gathered in a slab and written once per round of work:
// a read that ends many streams starts as many new ones in one socket write.
// Flushed bytes stay in the slab (the socket may still hold them); a new slab
// is taken when the room runs out, after writing what the old one held.

/** Where frames go: the transport's socket. */
export interface FrameSink {
  readonly open: boolean;
  write(bytes: Uint8Array): void;
}

const SLAB_BYTES = 64 * 1024;

export class FrameWriter {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  /** first byte not yet handed to the socket */
  private start = 0;
  /** first free byte */
  pos = 0;
  private scheduled = false;

  constructor(
    private readonly socket: FrameSink,
    /** called after each socket write (stamps writeEndUs on the streams it carried) */
    private readonly onFlushed: () => void,
  ) {}

  /** The slab to write `bytes` into at `writer.pos`; the caller advances `pos`. */
  room(bytes: number): Buffer {
    if (this.pos + bytes > this.slab.length) {
      this.flush();
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
      this.start = 0;
      this.pos = 0;
    }
    return this.slab;
  }

  get pending(): boolean {
    return this.pos > this.start;
  }

  /** Writes what was gathered now. */
  flush(): void {
    if (this.pos === this.start) return;
    if (this.socket.open) this.socket.write(this.slab.subarray(this.start, this.pos));
    this.start = this.pos;
    this.onFlushed();
  }

  /** Writes what was gathered at the end of this tick (work not started by a read, e.g. the engine's sends). */
  flushSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.flushScheduled);
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
