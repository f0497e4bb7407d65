// Reads a chunked body (RFC 9112 7.1) split at any byte: counts data bytes, never copies them.
// Extensions are validated and skipped; trailer lines are validated, bounded and skipped.
import { COLON, CR, FIELD_VCHAR, HEX_VALUE, HTAB, LF, SEMICOLON, SP, TCHAR } from './field-syntax.js';

const SIZE_FIRST = 0; // expecting the first hex digit of a chunk size
const SIZE = 1;
const SIZE_WHITESPACE = 2; // BWS after the size, before ';' or CR
const EXTENSION = 3;
const SIZE_LF = 4;
const DATA = 5;
const DATA_CR = 6;
const DATA_LF = 7;
const TRAILER_LINE_START = 8; // also where the final CRLF is expected
const TRAILER_NAME = 9;
const TRAILER_VALUE = 10;
const TRAILER_LINE_LF = 11;
const END_LF = 12;
export const CHUNKED_DONE = 13;
export const CHUNKED_ERROR = 14;

// Sizes above this cannot be counted exactly in a double.
const MAX_CHUNK_BYTES = 2 ** 53;

export class ChunkedBodyReader {
  /** One of the states above; CHUNKED_DONE after the last CRLF, CHUNKED_ERROR on malformed input. */
  state = SIZE_FIRST;
  /** Chunk data bytes of this body so far (framing, extensions and trailers not included). */
  dataBytes = 0;
  errorReason: string | null = null;
  private chunkBytesLeft = 0;
  private trailerBytes = 0;

  constructor(private readonly maxTrailerBytes: number) {}

  begin(): void {
    this.state = SIZE_FIRST;
    this.dataBytes = 0;
    this.errorReason = null;
    this.chunkBytesLeft = 0;
    this.trailerBytes = 0;
  }

  /** Reads from buf[pos, end) and returns the position after what belongs to this body (-1 on error). */
  read(buf: Buffer, pos: number, end: number): number {
    let state = this.state;
    while (pos < end) {
      if (state === DATA) {
        const n = Math.min(this.chunkBytesLeft, end - pos);
        pos += n;
        this.dataBytes += n;
        this.chunkBytesLeft -= n;
        if (this.chunkBytesLeft === 0) state = DATA_CR;
        continue;
      }
      const c = buf[pos++]!;
      if (state >= TRAILER_LINE_START && ++this.trailerBytes > this.maxTrailerBytes) {
        return this.fail('trailer section larger than maxHeaderBytes');
      }
      switch (state) {
        case SIZE_FIRST: {
          const digit = HEX_VALUE[c]!;
          if (digit < 0) return this.fail('invalid chunk size: expected a hex digit');
          this.chunkBytesLeft = digit;
          state = SIZE;
          break;
        }
        case SIZE: {
          const digit = HEX_VALUE[c]!;
          if (digit >= 0) {
            // Checked before multiplying: just above 2^53 a double would round down to 2^53.
            if (this.chunkBytesLeft > (MAX_CHUNK_BYTES - digit) / 16) {
              return this.fail('invalid chunk size: larger than 2^53');
            }
            this.chunkBytesLeft = this.chunkBytesLeft * 16 + digit;
          } else if (c === CR) state = SIZE_LF;
          else if (c === SEMICOLON) state = EXTENSION;
          else if (c === SP || c === HTAB) state = SIZE_WHITESPACE;
          else return this.fail('invalid chunk size: expected a hex digit');
          break;
        }
        case SIZE_WHITESPACE:
          if (c === CR) state = SIZE_LF;
          else if (c === SEMICOLON) state = EXTENSION;
          else if (c !== SP && c !== HTAB) return this.fail('invalid chunk size line');
          break;
        case EXTENSION:
          if (c === CR) state = SIZE_LF;
          else if (FIELD_VCHAR[c] !== 1) return this.fail('invalid character in chunk extension');
          break;
        case SIZE_LF:
          if (c !== LF) return this.fail('chunk size line: expected CRLF');
          state = this.chunkBytesLeft === 0 ? TRAILER_LINE_START : DATA;
          break;
        case DATA_CR:
          if (c !== CR) return this.fail('missing CRLF after chunk data');
          state = DATA_LF;
          break;
        case DATA_LF:
          if (c !== LF) return this.fail('missing CRLF after chunk data');
          state = SIZE_FIRST;
          break;
        case TRAILER_LINE_START:
          if (c === CR) state = END_LF;
          else if (TCHAR[c] === 1) state = TRAILER_NAME;
          else return this.fail('invalid trailer line');
          break;
        case TRAILER_NAME:
          if (c === COLON) state = TRAILER_VALUE;
          else if (TCHAR[c] !== 1) return this.fail('trailer line without a colon or with whitespace before the colon');
          break;
        case TRAILER_VALUE:
          if (c === CR) state = TRAILER_LINE_LF;
          else if (FIELD_VCHAR[c] !== 1) return this.fail('invalid character in trailer value');
          break;
        case TRAILER_LINE_LF:
          if (c !== LF) return this.fail('trailer line: expected CRLF');
          state = TRAILER_LINE_START;
          break;
        case END_LF:
          if (c !== LF) return this.fail('chunked body: expected the final CRLF');
          this.state = CHUNKED_DONE;
          return pos;
        default:
          return pos - 1; // DONE or ERROR: nothing more belongs to this body
      }
    }
    this.state = state;
    return pos;
  }

  private fail(reason: string): number {
    this.state = CHUNKED_ERROR;
    this.errorReason = reason;
    return -1;
  }
}
