// Parses an HTTP/1.x response head from bytes (RFC 9112 4, 5, 6.3) into a reused ResponseHead.
// One pass over the bytes, which also finds where the head ends; strings are made only for Connection
// and Keep-Alive values, and reused while the server keeps sending the same value.
import {
  CONNECTION_CLOSE,
  CONNECTION_KEEP_ALIVE,
  COLON,
  CR,
  FIELD_VCHAR,
  HTAB,
  LF,
  LatinStringCache,
  SP,
  TCHAR,
  rangeEqualLower,
  lowerWordBytes,
  connectionTokenFlags,
  finalCodingIsChunked,
  parseContentLength,
  parseKeepAliveParams,
} from './field-syntax.js';
import { createResponseHead, type ResponseHead } from './response-types.js';

// "HTTP/1.1 200\r\n\r\n": the shortest head.
const MIN_HEAD_BYTES = 16;
/** Heads up to this size are remembered, so that a repeat is recognised by one comparison. */
const REMEMBERED_HEAD_MAX_BYTES = 1024;

const FIELD_NONE = 0; // no field line yet: a fold here is an error
const FIELD_OTHER = 1;
const FIELD_CONTENT_LENGTH = 2;
const FIELD_TRANSFER_ENCODING = 3;
const FIELD_CONNECTION = 4;
const FIELD_KEEP_ALIVE = 5;
const FIELD_WATCHED = 6;

const CONNECTION_NAME = lowerWordBytes('connection');
const KEEP_ALIVE_NAME = lowerWordBytes('keep-alive');
const CONTENT_LENGTH_NAME = lowerWordBytes('content-length');
const TRANSFER_ENCODING_NAME = lowerWordBytes('transfer-encoding');

function fieldKind(buf: Buffer, start: number, end: number): number {
  switch (end - start) {
    case 10:
      if (rangeEqualLower(buf, start, end, CONNECTION_NAME)) return FIELD_CONNECTION;
      if (rangeEqualLower(buf, start, end, KEEP_ALIVE_NAME)) return FIELD_KEEP_ALIVE;
      return FIELD_OTHER;
    case 14:
      return rangeEqualLower(buf, start, end, CONTENT_LENGTH_NAME) ? FIELD_CONTENT_LENGTH : FIELD_OTHER;
    case 17:
      return rangeEqualLower(buf, start, end, TRANSFER_ENCODING_NAME) ? FIELD_TRANSFER_ENCODING : FIELD_OTHER;
    default:
      return FIELD_OTHER;
  }
}

export class ResponseHeadReader {
  /** Reused for every head: valid until the next parse(). */
  readonly head: ResponseHead = createResponseHead();
  /** Why the last parse() returned -1. */
  errorReason = '';
  private readonly connectionStrings = new LatinStringCache();
  private readonly keepAliveStrings = new LatinStringCache();
  private readonly watchedStrings = new LatinStringCache();
  /** the lower-case name of the header whose value is kept (--backend-header), or null */
  private watchedName: Uint8Array | null = null;

  /** Keep the value of this header (case-insensitive) in `head.watchedValue`, or none. */
  watch(name: string | null): void {
    this.watchedName = name === null ? null : lowerWordBytes(name.toLowerCase());
    this.rememberedLength = 0;
  }
  // A server sends the same head byte for byte again and again (a Date header changes once a second):
  // the last good head and what it said, so a repeat costs one memcmp instead of a parse.
  private readonly rememberedBytes = Buffer.allocUnsafeSlow(REMEMBERED_HEAD_MAX_BYTES); // its own memory: word-aligned
  private readonly rememberedWords = new Int32Array(this.rememberedBytes.buffer, 0, REMEMBERED_HEAD_MAX_BYTES >> 2);
  private rememberedLength = 0;
  /** The last buffer parsed from as 32-bit words (a connection's reads reuse one buffer), or null. */
  private wordsOf: Buffer | null = null;
  private words: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private readonly remembered: ResponseHead = createResponseHead();

  /**
   * Parses the head that starts at buf[start] and returns the position just after its blank line, or -1
   * when the bytes are malformed *or end before the head does*; the caller tells the two apart by
   * whether buf holds a head terminator ("\r\n\r\n") after start.
   */
  parse(buf: Buffer, start: number, bytesEnd: number = buf.length): number {
    const n = this.rememberedLength;
    if (n > 0 && bytesEnd - start >= n && this.repeatsRemembered(buf, start, n)) {
      copyHead(this.remembered, this.head);
      return start + n;
    }
    const end = this.parseBytes(buf, start, bytesEnd);
    if (end !== -1 && end - start <= REMEMBERED_HEAD_MAX_BYTES) {
      buf.copy(this.rememberedBytes, 0, start, end);
      this.rememberedLength = end - start;
      copyHead(this.head, this.remembered);
    }
    return end;
  }

  /**
   * buf[start, start + n) is the remembered head. Where both are word-aligned (a reused read buffer and a
   * head at its start, as with one response per read), compared 4 bytes at a time in JS: a third of
   * Buffer#compare's cost for a 150-byte head, most of which is the call into C++.
   */
  private repeatsRemembered(buf: Buffer, start: number, n: number): boolean {
    if (((buf.byteOffset + start) & 3) !== 0) return buf.compare(this.rememberedBytes, 0, n, start, start + n) === 0;
    const lead = buf.byteOffset & 3;
    if (this.wordsOf !== buf) {
      this.wordsOf = buf;
      this.words = new Int32Array(buf.buffer, buf.byteOffset - lead, (lead + buf.length) >> 2);
    }
    const words = this.words;
    const remembered = this.rememberedWords;
    const first = (lead + start) >> 2;
    const whole = n >> 2;
    for (let i = 0; i < whole; i++) if (words[first + i] !== remembered[i]) return false;
    const bytes = this.rememberedBytes;
    for (let i = whole << 2; i < n; i++) if (buf[start + i] !== bytes[i]) return false;
    return true;
  }

  private parseBytes(buf: Buffer, start: number, len: number): number {
    const head = this.head;
    // Every read is kept inside buf: past its end V8 would return undefined and mark these loads as
    // out-of-bounds-capable, which slows every later parse by about a third. Bytes from `len` on are
    // not the head's (a reused read buffer holds older bytes there).
    if (len - start < MIN_HEAD_BYTES) return this.malformed('response head shorter than a status line');
    // Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF (RFC 9112 4; the SP before an empty reason is optional here).
    if (
      buf[start] !== 0x48 ||
      buf[start + 1] !== 0x54 ||
      buf[start + 2] !== 0x54 ||
      buf[start + 3] !== 0x50 ||
      buf[start + 4] !== 0x2f ||
      buf[start + 5] !== 0x31 ||
      buf[start + 6] !== 0x2e
    ) {
      return this.malformed('status line: expected "HTTP/1.0" or "HTTP/1.1"');
    }
    const minor = buf[start + 7]! - 0x30;
    if (minor !== 0 && minor !== 1) return this.malformed('status line: expected "HTTP/1.0" or "HTTP/1.1"');
    if (buf[start + 8] !== SP) return this.malformed('status line: expected a space after the version');
    const d1 = buf[start + 9]! - 0x30;
    const d2 = buf[start + 10]! - 0x30;
    const d3 = buf[start + 11]! - 0x30;
    if (!(d1 >= 1 && d1 <= 9 && d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9)) {
      return this.malformed('status line: expected a 3-digit status code');
    }
    let pos = start + 12;
    if (buf[pos] === SP) {
      pos++;
      while (pos < len && FIELD_VCHAR[buf[pos]!] === 1) pos++;
    }
    if (pos + 1 >= len) return this.malformed('response head incomplete');
    if (buf[pos] !== CR || buf[pos + 1] !== LF) return this.malformed('status line: invalid reason phrase or line end');
    pos += 2;

    let contentLength = -1;
    let transferEncoding = false;
    let chunked = false;
    let connection: string | null = null;
    let connectionFlags = 0;
    let keepAlive: string | null = null;
    let watchedValue: string | null = null;
    head.keepAliveTimeoutS = null;
    head.keepAliveMax = null;
    let lastField = FIELD_NONE;

    for (;;) {
      if (pos + 1 >= len) return this.malformed('response head incomplete');
      let c = buf[pos]!;
      if (c === CR) {
        if (buf[pos + 1] !== LF) return this.malformed('bare CR in response head');
        pos += 2;
        break;
      }
      let kind: number;
      let folded = false;
      if (c === SP || c === HTAB) {
        // obs-fold (RFC 9112 5.2): a user agent replaces it with SP. Refused on framing fields.
        if (lastField === FIELD_NONE) return this.malformed('whitespace before the first header line');
        if (lastField === FIELD_CONTENT_LENGTH || lastField === FIELD_TRANSFER_ENCODING) {
          return this.malformed('obs-fold continuation of Content-Length or Transfer-Encoding');
        }
        kind = lastField;
        folded = true;
      } else {
        const nameStart = pos;
        while (TCHAR[c] === 1 && ++pos < len) c = buf[pos]!;
        if (pos === len) return this.malformed('response head incomplete');
        if (c !== COLON) return this.malformed('header line without a colon or with whitespace before the colon');
        if (pos === nameStart) return this.malformed('header line with an empty name');
        kind = fieldKind(buf, nameStart, pos);
        const watched = this.watchedName;
        if (kind === FIELD_OTHER && watched !== null && pos - nameStart === watched.length && rangeEqualLower(buf, nameStart, pos, watched)) kind = FIELD_WATCHED;
        if (++pos === len) return this.malformed('response head incomplete');
        c = buf[pos]!;
      }
      while ((c === SP || c === HTAB) && ++pos < len) c = buf[pos]!;
      const valueStart = pos;
      // HTAB, SP, VCHAR, obs-text (RFC 9110 5.5).
      while ((c > 31 ? c !== 127 : c === HTAB) && ++pos < len) c = buf[pos]!;
      if (pos + 1 >= len) return this.malformed('response head incomplete');
      if (c !== CR || buf[pos + 1] !== LF) return this.malformed('invalid character in header value');
      let valueEnd = pos;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
      pos += 2;

      lastField = kind;
      switch (kind) {
        case FIELD_CONTENT_LENGTH: {
          const n = parseContentLength(buf, valueStart, valueEnd);
          if (n === -1 || (contentLength !== -1 && n !== contentLength)) {
            return this.malformed('invalid or conflicting Content-Length');
          }
          contentLength = n;
          break;
        }
        case FIELD_TRANSFER_ENCODING: {
          transferEncoding = true;
          const final = finalCodingIsChunked(buf, valueStart, valueEnd);
          if (final !== -1) chunked = final === 1;
          break;
        }
        case FIELD_CONNECTION:
          connectionFlags |= connectionTokenFlags(buf, valueStart, valueEnd);
          connection = joinValue(connection, this.connectionStrings, buf, valueStart, valueEnd, folded);
          break;
        case FIELD_KEEP_ALIVE:
          parseKeepAliveParams(buf, valueStart, valueEnd, head);
          keepAlive = joinValue(keepAlive, this.keepAliveStrings, buf, valueStart, valueEnd, folded);
          break;
        case FIELD_WATCHED:
          watchedValue = joinValue(watchedValue, this.watchedStrings, buf, valueStart, valueEnd, folded);
          break;
      }
    }

    const statusCode = d1 * 100 + d2 * 10 + d3;
    head.statusCode = statusCode;
    head.versionMinor = minor;
    head.connectionHeader = connection;
    head.keepAliveHeader = keepAlive;
    head.watchedValue = watchedValue;
    head.contentLength = contentLength;
    // RFC 9112 6.3, in order.
    if (statusCode === 101)
      head.bodyKind = 'close'; // the stream is no longer HTTP/1
    else if (statusCode < 200 || statusCode === 204 || statusCode === 304) head.bodyKind = 'none';
    else if (transferEncoding) head.bodyKind = chunked ? 'chunked' : 'close';
    else if (contentLength !== -1) head.bodyKind = 'length';
    else head.bodyKind = 'close';

    let persistent = (connectionFlags & CONNECTION_CLOSE) === 0 && (minor === 1 || (connectionFlags & CONNECTION_KEEP_ALIVE) !== 0);
    // 6.1: TE with CL may be smuggling; TE in HTTP/1.0 is faulty framing. Either way, close afterwards.
    if (transferEncoding && (contentLength !== -1 || minor === 0)) persistent = false;
    if (statusCode === 101) persistent = false;
    head.keepAliveWithoutBody = persistent;
    head.keepAlive = persistent && head.bodyKind !== 'close';
    return pos;
  }

  private malformed(reason: string): number {
    this.errorReason = reason;
    return -1;
  }
}

function copyHead(from: ResponseHead, to: ResponseHead): void {
  to.statusCode = from.statusCode;
  to.versionMinor = from.versionMinor;
  to.keepAlive = from.keepAlive;
  to.keepAliveWithoutBody = from.keepAliveWithoutBody;
  to.connectionHeader = from.connectionHeader;
  to.keepAliveHeader = from.keepAliveHeader;
  to.keepAliveMax = from.keepAliveMax;
  to.keepAliveTimeoutS = from.keepAliveTimeoutS;
  to.bodyKind = from.bodyKind;
  to.contentLength = from.contentLength;
  to.watchedValue = from.watchedValue;
}

/** Several field lines of one name join with ", "; a fold joins with " ". Empty values add nothing. */
function joinValue(previous: string | null, strings: LatinStringCache, buf: Buffer, start: number, end: number, folded: boolean): string {
  const value = strings.get(buf, start, end);
  if (previous === null) return value;
  if (value.length === 0) return previous;
  if (previous.length === 0) return value;
  return previous + (folded ? ' ' : ', ') + value;
}
