// Streaming HTTP/1.x response parser for the client hot path: works on Buffers, copies only partial
// heads (bounded by maxHeaderBytes), counts body bytes without converting them, and allocates nothing
// per response except a Connection/Keep-Alive value string when it differs from the previous one.
import { CHUNKED_DONE, CHUNKED_ERROR, ChunkedBodyReader } from './chunked-body.js';
import { CR, LF } from './field-syntax.js';
import { ResponseHeadReader } from './response-head.js';
import type { ParseErrorCode, ParserEvents } from './response-types.js';

export type { BodyKind, ParseErrorCode, ParserEvents, ResponseHead } from './response-types.js';

const READING_HEAD = 0;
const READING_LENGTH_BODY = 1;
const READING_CHUNKED_BODY = 2;
const READING_CLOSE_BODY = 3;
const FAILED = 4;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_PREFIX = Buffer.from('HTTP/1.', 'latin1');
const DEFAULT_MAX_HEADER_BYTES = 65536;
const FIRST_HEAD_BUFFER_BYTES = 1024;

/**
 * One head reader for every parser of a thread: a head is parsed and handed to onHeaders synchronously,
 * so parsers never overlap in it, and 10,000 connections do not carry 10,000 readers.
 */
const SHARED_HEADS = new ResponseHeadReader();

/** The header whose value every response of this thread reports (--backend-header; a worker runs one phase). */
export function watchResponseHeader(name: string | null): void {
  SHARED_HEADS.watch(name);
}

/** Where the first "\r\n\r\n" within chunk[pos, end) starts, or -1. */
function headEndAt(chunk: Buffer, pos: number, end: number): number {
  return (end === chunk.length ? chunk : chunk.subarray(0, end)).indexOf(HEAD_END, pos);
}

export interface ResponseParserOptions {
  /** Largest head (status line to blank line, also each 1xx head and the trailer section). Default 65536. */
  maxHeaderBytes?: number;
}

export class ResponseParser {
  private readonly events: ParserEvents;
  private readonly maxHeaderBytes: number;
  /** Parses heads into one reused ResponseHead: valid only during onHeaders. */
  private readonly heads = SHARED_HEADS;
  /** Made at the first chunked body. */
  private chunked: ChunkedBodyReader | null = null;
  private state = READING_HEAD;
  /** From a response's first byte (or first 1xx byte) to its completion. */
  private inMessage = false;
  /** Bytes of a head that has not ended yet; allocated on first need, grown up to maxHeaderBytes + 3. */
  private partialHead: Buffer | null = null;
  private partialHeadBytes = 0;
  private lengthBytesLeft = 0;
  private bodyByteCount = 0;
  /** Bumped by reset(), so that execute() stops when a callback resets the parser. */
  private generation = 0;
  private failure: string | null = null;

  constructor(events: ParserEvents, options?: ResponseParserOptions) {
    const maxHeaderBytes = options?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    if (!Number.isInteger(maxHeaderBytes) || maxHeaderBytes < 16) {
      throw new RangeError(`maxHeaderBytes: expected an integer >= 16, got ${maxHeaderBytes}`);
    }
    this.events = events;
    this.maxHeaderBytes = maxHeaderBytes;
  }

  /** Why execute() returned 'parse-error', for logs (wording is not stable; the code is 'parse-error'). */
  get errorReason(): string | null {
    return this.failure;
  }

  /** True between messages: nothing of a response is buffered. */
  get idle(): boolean {
    return this.state === READING_HEAD && !this.inMessage;
  }

  /** Body bytes of the current/last response so far (chunk data only for chunked bodies).
   *  Reset at each response's first byte. */
  get bodyBytes(): number {
    return this.state === READING_CHUNKED_BODY ? this.chunked!.dataBytes : this.bodyByteCount;
  }

  /**
   * Feed bytes: chunk[0, end), so a caller can hand its reused read buffer without a view of each read.
   * Returns null, or 'parse-error' after which the parser is unusable until reset(). Never throws.
   */
  execute(chunk: Buffer, end: number = chunk.length): ParseErrorCode | null {
    const generation = this.generation;
    let pos = 0;
    while (pos < end) {
      switch (this.state) {
        case READING_HEAD:
          pos = this.readHead(chunk, pos, end);
          break;
        case READING_LENGTH_BODY: {
          const n = Math.min(this.lengthBytesLeft, end - pos);
          pos += n;
          this.bodyByteCount += n;
          this.lengthBytesLeft -= n;
          if (this.lengthBytesLeft === 0) this.completeMessage();
          break;
        }
        case READING_CHUNKED_BODY: {
          const reader = this.chunked!;
          pos = reader.read(chunk, pos, end);
          if (reader.state === CHUNKED_DONE) {
            this.bodyByteCount = reader.dataBytes;
            this.completeMessage();
          } else if (reader.state === CHUNKED_ERROR) {
            this.bodyByteCount = reader.dataBytes;
            pos = this.fail(reader.errorReason ?? 'invalid chunked body');
          }
          break;
        }
        case READING_CLOSE_BODY:
          this.bodyByteCount += end - pos;
          pos = end;
          break;
        default:
          return 'parse-error';
      }
      if (this.generation !== generation) return null; // a callback called reset()
    }
    return this.state === FAILED ? 'parse-error' : null;
  }

  /** The peer closed (EOF). 'complete' ends a close-delimited body (onMessageComplete is called first). */
  finish(): 'idle' | 'complete' | 'truncated' {
    switch (this.state) {
      case READING_HEAD:
        return this.inMessage ? 'truncated' : 'idle';
      case READING_CLOSE_BODY:
        this.completeMessage();
        return 'complete';
      default:
        return 'truncated';
    }
  }

  reset(): void {
    this.generation++;
    this.state = READING_HEAD;
    this.inMessage = false;
    this.partialHeadBytes = 0;
    this.lengthBytesLeft = 0;
    this.bodyByteCount = 0;
    this.failure = null;
    this.chunked?.begin();
  }

  /** Returns the position after the bytes used; `end` when the head is incomplete (they are buffered). */
  private readHead(chunk: Buffer, pos: number, end: number): number {
    const buffered = this.partialHeadBytes;
    if (buffered === 0) {
      this.inMessage = true;
      this.bodyByteCount = 0;
      const generation = this.generation;
      this.events.onMessageBegin();
      if (this.generation !== generation) return end;
      // Parse straight from the chunk; the head usually arrives whole.
      const headEnd = this.heads.parse(chunk, pos, end);
      if (headEnd === -1) {
        if (headEndAt(chunk, pos, end) !== -1) return this.fail(this.heads.errorReason);
        return this.bufferPartialHead(chunk, pos, end); // parsed again once complete
      }
      if (headEnd - pos > this.maxHeaderBytes) return this.fail('response head larger than maxHeaderBytes');
      this.onHead();
      return headEnd;
    }
    // The head began in an earlier chunk. A terminator across the boundary needs at most 3 new bytes.
    const partial = this.copyIntoPartialHead(chunk, pos, Math.min(end, pos + 3));
    const available = this.partialHeadBytes;
    for (let start = Math.max(0, buffered - 3); start + 4 <= available; start++) {
      const isHeadEnd = partial[start] === CR && partial[start + 1] === LF && partial[start + 2] === CR && partial[start + 3] === LF;
      if (isHeadEnd) {
        this.parsePartialHead(start + 4);
        return pos + (start + 4 - buffered);
      }
    }
    this.partialHeadBytes = buffered;
    const terminator = headEndAt(chunk, pos, end);
    if (terminator === -1) return this.bufferPartialHead(chunk, pos, end);
    if (buffered + (terminator + 4 - pos) > this.maxHeaderBytes) {
      return this.fail('response head larger than maxHeaderBytes');
    }
    this.copyIntoPartialHead(chunk, pos, terminator + 4);
    this.parsePartialHead(this.partialHeadBytes);
    return terminator + 4;
  }

  /** The buffered head is complete at headBytes (just after its first CRLFCRLF). */
  private parsePartialHead(headBytes: number): void {
    this.partialHeadBytes = 0;
    if (headBytes > this.maxHeaderBytes) {
      this.fail('response head larger than maxHeaderBytes');
      return;
    }
    if (this.heads.parse(this.partialHead!, 0, headBytes) !== headBytes) {
      this.fail(this.heads.errorReason);
      return;
    }
    this.onHead();
  }

  private bufferPartialHead(chunk: Buffer, pos: number, end: number): number {
    // Without a terminator the head is at least one byte longer than what we have.
    if (this.partialHeadBytes + (end - pos) >= this.maxHeaderBytes) {
      return this.fail('response head larger than maxHeaderBytes');
    }
    const partial = this.copyIntoPartialHead(chunk, pos, end);
    // Fail now on bytes that cannot begin a response (TLS, HTTP/2, garbage) instead of waiting for a head end.
    const prefixBytes = Math.min(this.partialHeadBytes, STATUS_PREFIX.length);
    for (let i = 0; i < prefixBytes; i++) {
      if (partial[i] !== STATUS_PREFIX[i]) return this.fail('status line: expected "HTTP/1.0" or "HTTP/1.1"');
    }
    return end;
  }

  private copyIntoPartialHead(chunk: Buffer, start: number, end: number): Buffer {
    const needed = this.partialHeadBytes + (end - start);
    let partial = this.partialHead;
    if (partial === null || partial.length < needed) {
      let size = partial === null ? FIRST_HEAD_BUFFER_BYTES : partial.length * 2;
      while (size < needed) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.maxHeaderBytes + 3));
      if (partial !== null) partial.copy(grown, 0, 0, this.partialHeadBytes);
      this.partialHead = partial = grown;
    }
    chunk.copy(partial, this.partialHeadBytes, start, end);
    this.partialHeadBytes = needed;
    return partial;
  }

  /** A head was parsed: skip it if interim, else decide how the body is read. */
  private onHead(): void {
    const head = this.heads.head;
    const status = head.statusCode;
    if (status < 200 && status !== 101) {
      // Interim response: the final one follows on the same message (RFC 9110 15.2).
      this.events.onInformational(status);
      return;
    }
    const generation = this.generation;
    const noBody = this.events.onHeaders(head);
    if (this.generation !== generation) return;
    if (noBody) {
      this.completeMessage();
      return;
    }
    switch (head.bodyKind) {
      case 'none':
        this.completeMessage();
        return;
      case 'length':
        if (head.contentLength === 0) {
          this.completeMessage();
        } else {
          this.lengthBytesLeft = head.contentLength;
          this.state = READING_LENGTH_BODY;
        }
        return;
      case 'chunked':
        (this.chunked ??= new ChunkedBodyReader(this.maxHeaderBytes)).begin();
        this.state = READING_CHUNKED_BODY;
        return;
      case 'close':
        this.state = READING_CLOSE_BODY;
        return;
    }
  }

  private completeMessage(): void {
    this.state = READING_HEAD;
    this.inMessage = false;
    this.events.onMessageComplete();
  }

  private fail(reason: string): number {
    this.state = FAILED;
    this.failure = reason;
    return Number.MAX_SAFE_INTEGER; // past any chunk: execute() stops
  }
}
