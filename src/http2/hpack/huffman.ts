// RFC 7541 5.2 and Appendix B: Huffman coding of string literals. Decoding runs
// a table of states four bits at a time (as nghttp2 does): no code is shorter
// than five bits, so a nibble ends at most one symbol.
import { HUFFMAN_BITS, HUFFMAN_CODES } from './huffman-table.js';

const EOS = 256;
const FAIL = 0x200;

// The code tree: internal nodes 0..255, root 0; a child < 0 is the leaf of symbol -child - 1.
const children = new Int32Array(512);
{
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const bits = HUFFMAN_BITS[sym]!;
    const code = HUFFMAN_CODES[sym]!;
    let node = 0;
    for (let b = bits - 1; b >= 0; b--) {
      const slot = node * 2 + ((code >>> b) & 1);
      if (b === 0) children[slot] = -(sym + 1);
      else {
        if (children[slot] === 0) children[slot] = nodes++;
        node = children[slot]!;
      }
    }
  }
}

// Nodes a valid end may stop at: the root, or at most seven 1-bits from it (the EOS prefix as padding, 5.2).
const acceptNode = new Uint8Array(256);
{
  acceptNode[0] = 1;
  let node = 0;
  for (let depth = 1; depth <= 7; depth++) {
    node = children[node * 2 + 1]!;
    acceptNode[node] = 1;
  }
}

// For state (node) and nibble: the next node, and the symbol ended (or -1), or FAIL when EOS was decoded.
const nextNode = new Uint16Array(256 * 16);
const emitted = new Int16Array(256 * 16);
for (let state = 0; state < 256; state++) {
  for (let nibble = 0; nibble < 16; nibble++) {
    let node = state;
    let sym = -1;
    for (let b = 3; b >= 0; b--) {
      const child = children[node * 2 + ((nibble >>> b) & 1)]!;
      if (child < 0) {
        sym = -child - 1 === EOS ? FAIL : -child - 1;
        node = 0;
        if (sym === FAIL) break;
      } else node = child;
    }
    nextNode[state * 16 + nibble] = node;
    emitted[state * 16 + nibble] = sym;
  }
}

/** Decodes `src[start, end)` into `out` from `outStart`; returns the end offset in `out`, or -1 for an invalid
 *  string (EOS, or padding that is not a short run of 1-bits). `out` must have room for (end - start) * 8 / 5. */
export function huffmanDecode(src: Uint8Array, start: number, end: number, out: Uint8Array, outStart: number): number {
  let state = 0;
  let o = outStart;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    let k = state * 16 + (byte >>> 4);
    let sym = emitted[k]!;
    if (sym === FAIL) return -1;
    if (sym >= 0) out[o++] = sym;
    state = nextNode[k]!;
    k = state * 16 + (byte & 15);
    sym = emitted[k]!;
    if (sym === FAIL) return -1;
    if (sym >= 0) out[o++] = sym;
    state = nextNode[k]!;
  }
  return acceptNode[state] === 1 ? o : -1;
}

/** Length in bytes of the Huffman encoding of `bytes`. */
export function huffmanLength(bytes: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) bits += HUFFMAN_BITS[bytes[i]!]!;
  return Math.ceil(bits / 8);
}

/** Writes the Huffman encoding of `bytes` at `offset` (padded with 1-bits); returns the end offset. */
export function huffmanEncode(bytes: Uint8Array, out: Uint8Array, offset: number): number {
  let acc = 0; // pending bits, fewer than 8 after each symbol, held as a float so 30-bit codes fit
  let count = 0;
  let o = offset;
  for (let i = 0; i < bytes.length; i++) {
    const sym = bytes[i]!;
    const bits = HUFFMAN_BITS[sym]!;
    acc = acc * 2 ** bits + HUFFMAN_CODES[sym]!;
    count += bits;
    while (count >= 8) {
      count -= 8;
      const scale = 2 ** count;
      out[o++] = Math.floor(acc / scale) & 0xff;
      acc %= scale;
    }
  }
  if (count > 0) out[o++] = ((acc << (8 - count)) | (0xff >>> count)) & 0xff;
  return o;
}
