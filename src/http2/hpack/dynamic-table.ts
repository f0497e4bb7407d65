// RFC 7541 2.3.2 and 4: the dynamic table, newest entry first (index 62), with
// its size counted as name + value + 32 bytes per entry and evictions from the oldest.

export const ENTRY_OVERHEAD = 32;

export class DynamicTable {
  /** oldest first: index 62 is the last element */
  private readonly names: Buffer[] = [];
  private readonly values: Buffer[] = [];
  size = 0;

  constructor(public maxSize: number) {}

  get length(): number {
    return this.names.length;
  }

  /** 0 is the newest entry (HPACK index 62). */
  name(i: number): Buffer {
    return this.names[this.names.length - 1 - i]!;
  }

  value(i: number): Buffer {
    return this.values[this.values.length - 1 - i]!;
  }

  /** Adds copies of `name` and `value` (they may point into a socket chunk or scratch space), evicting first. */
  add(name: Buffer, value: Buffer): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    // 4.4: an entry larger than the table empties it and is not added.
    this.evictTo(this.maxSize - entrySize);
    if (entrySize > this.maxSize) return;
    this.names.push(Buffer.from(name));
    this.values.push(Buffer.from(value));
    this.size += entrySize;
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evictTo(maxSize);
  }

  private evictTo(limit: number): void {
    let drop = 0;
    while (this.size > Math.max(limit, 0) && drop < this.names.length) {
      this.size -= this.names[drop]!.length + this.values[drop]!.length + ENTRY_OVERHEAD;
      drop++;
    }
    if (drop > 0) {
      this.names.splice(0, drop);
      this.values.splice(0, drop);
    }
  }

  /** Encoder side: the index (0 = newest) of `name: value` and of the newest entry named `name`, or -1. */
  find(name: Buffer, value: Buffer): { field: number; name: number } {
    let nameAt = -1;
    for (let i = 0; i < this.names.length; i++) {
      const n = this.name(i);
      if (!n.equals(name)) continue;
      if (this.value(i).equals(value)) return { field: i, name: i };
      if (nameAt < 0) nameAt = i;
    }
    return { field: -1, name: nameAt };
  }
}
