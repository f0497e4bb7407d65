// RFC 7541 encoding. The client encodes each request's header block once per
// phase and path and sends the same bytes on every stream of every session, so
// its blocks must not depend on table state: `indexing: 'none'` uses only the
// static table and literals without indexing (6.2.2), valid whatever the peer's
// dynamic table holds. `indexing: 'incremental'` (RFC 7541 Appendix C) is for tests.
import { DynamicTable } from './dynamic-table.js';
import { huffmanEncode, huffmanLength } from './huffman.js';
import { STATIC_COUNT, staticFieldIndex, staticNameIndex } from './static-table.js';

export interface EncoderOptions {
  indexing: 'none' | 'incremental';
  /** 'shorter' picks Huffman where it saves bytes */
  huffman: 'always' | 'never' | 'shorter';
  /** dynamic table size (incremental indexing only) */
  tableBytes?: number;
}

export class HpackEncoder {
  private readonly table: DynamicTable;
  private out = Buffer.allocUnsafe(256);
  private pos = 0;

  constructor(private readonly options: EncoderOptions) {
    this.table = new DynamicTable(options.indexing === 'none' ? 0 : (options.tableBytes ?? 4096));
  }

  encode(fields: ReadonlyArray<readonly [string, string]>): Buffer {
    this.pos = 0;
    for (const [name, value] of fields) this.field(name, value);
    return Buffer.from(this.out.subarray(0, this.pos));
  }

  private field(name: string, value: string): void {
    const full = staticFieldIndex(name, value);
    if (full > 0) {
      this.integer(full, 7, 0x80);
      return;
    }
    const nameBytes = Buffer.from(name, 'latin1');
    const valueBytes = Buffer.from(value, 'latin1');
    let nameIndex = staticNameIndex(name);
    if (this.options.indexing === 'incremental') {
      const found = this.table.find(nameBytes, valueBytes);
      if (found.field >= 0) {
        this.integer(found.field + STATIC_COUNT + 1, 7, 0x80);
        return;
      }
      if (nameIndex === 0 && found.name >= 0) nameIndex = found.name + STATIC_COUNT + 1;
      this.integer(nameIndex, 6, 0x40);
      this.table.add(nameBytes, valueBytes);
    } else {
      this.integer(nameIndex, 4, 0x00);
    }
    if (nameIndex === 0) this.string(nameBytes);
    this.string(valueBytes);
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + bytes));
    this.out.copy(grown, 0, 0, this.pos);
    this.out = grown;
  }

  /** 5.1: `value` with an N-bit prefix, the bits above the prefix set from `first`. */
  private integer(value: number, prefixBits: number, first: number): void {
    this.room(8);
    const max = (1 << prefixBits) - 1;
    if (value < max) {
      this.out[this.pos++] = first | value;
      return;
    }
    this.out[this.pos++] = first | max;
    let rest = value - max;
    while (rest >= 128) {
      this.out[this.pos++] = (rest % 128) + 128;
      rest = Math.floor(rest / 128);
    }
    this.out[this.pos++] = rest;
  }

  private string(bytes: Buffer): void {
    const huffLength = huffmanLength(bytes);
    const mode = this.options.huffman;
    const huffman = mode === 'always' || (mode === 'shorter' && huffLength < bytes.length);
    const length = huffman ? huffLength : bytes.length;
    this.integer(length, 7, huffman ? 0x80 : 0);
    this.room(length);
    if (huffman) this.pos = huffmanEncode(bytes, this.out, this.pos);
    else this.pos += bytes.copy(this.out, this.pos);
  }
}

/** The header block of a request, valid on any stream of any session (no dynamic table state). */
export function encodeStatelessBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  return new HpackEncoder({ indexing: 'none', huffman: 'shorter' }).encode(fields);
}
