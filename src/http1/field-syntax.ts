// Byte classes and field-value parsers for HTTP/1.x heads (RFC 9110 5.6, RFC 9112 5-7).
// They work on byte ranges of a Buffer and allocate nothing.

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HTAB = 9;
export const COLON = 58;
export const SEMICOLON = 59;
const COMMA = 44;
const DQUOTE = 34;
const EQUALS = 61;

/** 1 for tchar (RFC 9110 5.6.2): the bytes allowed in a field name or a token. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** 1 for the bytes allowed inside a field value or reason phrase: HTAB, SP, VCHAR, obs-text.
 *  CR, LF, NUL, other controls and DEL are not (RFC 9110 5.5). */
export const FIELD_VCHAR = new Uint8Array(256);
FIELD_VCHAR[HTAB] = 1;
for (let c = 0x20; c <= 0x7e; c++) FIELD_VCHAR[c] = 1;
for (let c = 0x80; c <= 0xff; c++) FIELD_VCHAR[c] = 1;

/** Hex digit value, or -1. */
export const HEX_VALUE = new Int8Array(256).fill(-1);
for (let c = 0; c <= 9; c++) HEX_VALUE[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_VALUE[0x41 + c] = 10 + c;
  HEX_VALUE[0x61 + c] = 10 + c;
}

function isOws(c: number | undefined): boolean {
  return c === SP || c === HTAB;
}

/** A lower-case ASCII word as bytes, for rangeEqualLower. */
export function lowerWordBytes(word: string): Uint8Array {
  return Uint8Array.from(word, (c) => c.charCodeAt(0) | 0x20);
}

/** Case-insensitive compare of buf[start, end) with a lower-case word of letters and '-'. */
export function rangeEqualLower(buf: Buffer, start: number, end: number, lowerWord: Uint8Array): boolean {
  if (end - start !== lowerWord.length) return false;
  for (let i = 0; i < lowerWord.length; i++) {
    // '| 0x20' folds A-Z onto a-z; only CR would also fold onto '-', and it never occurs in a value.
    if ((buf[start + i]! | 0x20) !== lowerWord[i]) return false;
  }
  return true;
}

/**
 * Content-Length value buf[start, end) (RFC 9110 8.6): 1*DIGIT, or a list of identical values
 * ("42, 42"). Returns the length, or -1 when empty, not digits, conflicting or above 2^53 - 1.
 */
export function parseContentLength(buf: Buffer, start: number, end: number): number {
  let value = -1;
  let pos = start;
  for (;;) {
    while (pos < end && isOws(buf[pos])) pos++;
    const digitsStart = pos;
    let n = 0;
    while (pos < end) {
      const d = buf[pos]! - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      if (n > Number.MAX_SAFE_INTEGER) return -1;
      pos++;
    }
    if (pos === digitsStart) return -1;
    if (value !== -1 && n !== value) return -1;
    value = n;
    while (pos < end && isOws(buf[pos])) pos++;
    if (pos === end) return value;
    if (buf[pos] !== COMMA) return -1;
    pos++;
  }
}

const CHUNKED = lowerWordBytes('chunked');

/**
 * The final coding of a Transfer-Encoding value buf[start, end) (RFC 9112 6.1, 6.3):
 * 1 when it is `chunked`, 0 when it is something else, -1 when the list has no element.
 */
export function finalCodingIsChunked(buf: Buffer, start: number, end: number): -1 | 0 | 1 {
  let elementEnd = end;
  while (elementEnd > start && (isOws(buf[elementEnd - 1]) || buf[elementEnd - 1] === COMMA)) elementEnd--;
  if (elementEnd === start) return -1;
  let elementStart = elementEnd;
  while (elementStart > start && buf[elementStart - 1] !== COMMA) elementStart--;
  while (isOws(buf[elementStart])) elementStart++;
  let tokenEnd = elementStart;
  while (tokenEnd < elementEnd && TCHAR[buf[tokenEnd]!] === 1) tokenEnd++;
  return rangeEqualLower(buf, elementStart, tokenEnd, CHUNKED) ? 1 : 0;
}

export const CONNECTION_CLOSE = 1;
export const CONNECTION_KEEP_ALIVE = 2;
const CLOSE = lowerWordBytes('close');
const KEEP_ALIVE = lowerWordBytes('keep-alive');
const TIMEOUT = lowerWordBytes('timeout');
const MAX = lowerWordBytes('max');

/** Flags for the `close` and `keep-alive` tokens of a Connection value buf[start, end) (RFC 9110 7.6.1). */
export function connectionTokenFlags(buf: Buffer, start: number, end: number): number {
  let flags = 0;
  let pos = start;
  while (pos <= end) {
    let s = pos;
    while (pos < end && buf[pos] !== COMMA) pos++;
    let e = pos;
    while (s < e && isOws(buf[s])) s++;
    while (e > s && isOws(buf[e - 1])) e--;
    if (rangeEqualLower(buf, s, e, CLOSE)) flags |= CONNECTION_CLOSE;
    else if (rangeEqualLower(buf, s, e, KEEP_ALIVE)) flags |= CONNECTION_KEEP_ALIVE;
    pos++;
  }
  return flags;
}

/** A non-negative decimal (optionally quoted) in buf[start, end), or null. */
function parseParamInteger(buf: Buffer, start: number, end: number): number | null {
  if (end - start >= 2 && buf[start] === DQUOTE && buf[end - 1] === DQUOTE) {
    start++;
    end--;
  }
  if (start === end) return null;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
    if (n > Number.MAX_SAFE_INTEGER) return null;
  }
  return n;
}

export interface KeepAliveParams {
  keepAliveTimeoutS: number | null;
  keepAliveMax: number | null;
}

/**
 * `timeout=` and `max=` of a Keep-Alive value buf[start, end) ("timeout=5, max=100"; names in any case,
 * spaces around '=' and ',' allowed, values may be quoted). Only fills params still null, so the first
 * valid occurrence wins across several lines; a bad value leaves null.
 */
export function parseKeepAliveParams(buf: Buffer, start: number, end: number, into: KeepAliveParams): void {
  let pos = start;
  while (pos <= end) {
    let nameStart = pos;
    let eq = -1;
    while (pos < end && buf[pos] !== COMMA) {
      if (eq === -1 && buf[pos] === EQUALS) eq = pos;
      pos++;
    }
    if (eq !== -1) {
      let nameEnd = eq;
      while (nameStart < nameEnd && isOws(buf[nameStart])) nameStart++;
      while (nameEnd > nameStart && isOws(buf[nameEnd - 1])) nameEnd--;
      let valueStart = eq + 1;
      let valueEnd = pos;
      while (valueStart < valueEnd && isOws(buf[valueStart])) valueStart++;
      while (valueEnd > valueStart && isOws(buf[valueEnd - 1])) valueEnd--;
      if (into.keepAliveTimeoutS === null && rangeEqualLower(buf, nameStart, nameEnd, TIMEOUT)) {
        into.keepAliveTimeoutS = parseParamInteger(buf, valueStart, valueEnd);
      } else if (into.keepAliveMax === null && rangeEqualLower(buf, nameStart, nameEnd, MAX)) {
        into.keepAliveMax = parseParamInteger(buf, valueStart, valueEnd);
      }
    }
    pos++;
  }
}

/**
 * Remembers the last string made from a byte range and returns it again while the bytes are the same:
 * servers send the same Connection / Keep-Alive values on every response, so this saves an allocation each.
 */
export class LatinStringCache {
  private last = '';

  get(buf: Buffer, start: number, end: number): string {
    const last = this.last;
    if (last.length === end - start) {
      let i = 0;
      while (i < last.length && last.charCodeAt(i) === buf[start + i]) i++;
      if (i === last.length) return last;
    }
    return (this.last = buf.toString('latin1', start, end));
  }
}
