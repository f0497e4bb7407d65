// RFC 7541 decoding of a header block, field by field. Names and values are
// handed out as bytes, valid only during the callback, so a client reads
// `:status` and the few headers it wants without a JS string per header.
import { DynamicTable } from './dynamic-table.js';
import { huffmanDecode } from './huffman.js';
import { STATIC_COUNT, STATIC_NAMES, STATIC_VALUES } from './static-table.js';

/** Called for each field in order; the buffers are reused after it returns. */
export type FieldCallback = (name: Buffer, value: Buffer) => void;

/** Why a block did not decode (a connection error of type COMPRESSION_ERROR, RFC 9113 4.3). */
class HpackError extends Error {}

const MAX_INTEGER = 0x7fffffff;

export class HpackDecoder {
  private readonly table: DynamicTable;
  /** the most the table may hold: our SETTINGS_HEADER_TABLE_SIZE */
  private limit: number;
  private scratch = Buffer.allocUnsafe(4096);
  private scratchUsed = 0;
  private pos = 0;

  constructor(maxTableBytes = 4096) {
    this.limit = maxTableBytes;
    this.table = new DynamicTable(maxTableBytes);
  }

  /** A new SETTINGS_HEADER_TABLE_SIZE of ours, acknowledged by the peer. */
  setTableLimit(bytes: number): void {
    this.limit = bytes;
    if (this.table.maxSize > bytes) this.table.resize(bytes);
  }

  get tableSize(): number {
    return this.table.size;
  }

  /** Decodes one complete header block; returns null, or why it is invalid. */
  decode(block: Buffer, onField: FieldCallback): string | null {
    this.pos = 0;
    let fields = 0;
    try {
      while (this.pos < block.length) {
        const b = block[this.pos]!;
        this.scratchUsed = 0;
        if (b & 0x80) {
          // 6.1 indexed field
          const index = this.integer(block, 7);
          if (index === 0) throw new HpackError('index 0');
          onField(this.nameAt(index), this.valueAt(index));
        } else if (b & 0x40) {
          // 6.2.1 literal with incremental indexing
          const nameIndex = this.integer(block, 6);
          const name = nameIndex === 0 ? this.string(block) : this.nameAt(nameIndex);
          const value = this.string(block);
          this.table.add(name, value);
          onField(name, value);
        } else if (b & 0x20) {
          // 6.3 dynamic table size update: only before the first field (4.2)
          if (fields > 0) throw new HpackError('table size update after a field');
          const size = this.integer(block, 5);
          if (size > this.limit) throw new HpackError(`table size update to ${size} above the limit ${this.limit}`);
          this.table.resize(size);
          continue;
        } else {
          // 6.2.2 without indexing (0000), 6.2.3 never indexed (0001)
          const nameIndex = this.integer(block, 4);
          const name = nameIndex === 0 ? this.string(block) : this.nameAt(nameIndex);
          onField(name, this.string(block));
        }
        fields++;
      }
    } catch (err) {
      if (err instanceof HpackError) return err.message;
      throw err;
    }
    return null;
  }

  private nameAt(index: number): Buffer {
    if (index <= STATIC_COUNT) return STATIC_NAMES[index - 1]!;
    const i = index - STATIC_COUNT - 1;
    if (i >= this.table.length) throw new HpackError(`index ${index} beyond the table`);
    return this.table.name(i);
  }

  private valueAt(index: number): Buffer {
    if (index <= STATIC_COUNT) return STATIC_VALUES[index - 1]!;
    const i = index - STATIC_COUNT - 1;
    if (i >= this.table.length) throw new HpackError(`index ${index} beyond the table`);
    return this.table.value(i);
  }

  /** 5.1: an integer with an N-bit prefix at `pos`. */
  private integer(block: Buffer, prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = block[this.pos++]! & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.pos >= block.length) throw new HpackError('integer cut short');
      const b = block[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (value > MAX_INTEGER) throw new HpackError('integer too large');
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
  }

  /** 5.2: a string literal, raw (a view of the block) or Huffman-decoded into scratch space. */
  private string(block: Buffer): Buffer {
    if (this.pos >= block.length) throw new HpackError('string cut short');
    const huffman = (block[this.pos]! & 0x80) !== 0;
    const length = this.integer(block, 7);
    const start = this.pos;
    const end = start + length;
    if (end > block.length) throw new HpackError('string beyond the block');
    this.pos = end;
    if (!huffman) return block.subarray(start, end);
    const room = Math.ceil((length * 8) / 5);
    if (this.scratchUsed + room > this.scratch.length) {
      // The old buffer stays alive through a name already handed out from it.
      this.scratch = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, room * 2));
      this.scratchUsed = 0;
    }
    const outStart = this.scratchUsed;
    const outEnd = huffmanDecode(block, start, end, this.scratch, outStart);
    if (outEnd < 0) throw new HpackError('invalid Huffman string');
    this.scratchUsed = outEnd;
    return this.scratch.subarray(outStart, outEnd);
  }
}
