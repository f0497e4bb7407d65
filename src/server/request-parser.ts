// Incremental HTTP/1.x request parser: request line, headers, Content-Length and
// chunked bodies (read and discarded), any number of pipelined requests per chunk.

export interface Http1Request {
  method: string;
  /** request target as sent: "/path?query" */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 */
  minorVersion: 0 | 1;
  /** header lines as received, "Name: value" */
  headerLines: string[];
  /** Connection header has the `close` token */
  connectionClose: boolean;
  /** Connection header has the `keep-alive` token */
  connectionKeepAlive: boolean;
}

export interface RequestParseError {
  /** status to answer with before closing: 400, 431, 505 */
  status: number;
  reason: string;
}

type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-data-end' | 'trailers' | 'stopped';

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE_BYTES = 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VERSION_RE = /^HTTP\/(\d)\.(\d)$/;

export class Http1RequestParser {
  private state: State = 'head';
  private pending: Buffer | null = null;
  /** the request whose body is being read */
  private request: Http1Request | null = null;
  private bytesLeft = 0;

  constructor(
    private readonly onRequest: (request: Http1Request) => void,
    private readonly onError: (error: RequestParseError) => void,
  ) {}

  /** Ignore all further input (the connection is closing). */
  stop(): void {
    this.state = 'stopped';
    this.pending = null;
  }

  /** True while part of a request has been received but not all of it. */
  get midRequest(): boolean {
    return this.state !== 'head' ? this.state !== 'stopped' : this.pending !== null;
  }

  push(chunk: Buffer): void {
    if (this.state === 'stopped') return;
    let data = chunk;
    if (this.pending) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let offset = 0;
    while (offset < data.length) {
      const next = this.step(data, offset);
      if (next < 0) {
        // step() may have stopped the parser; TypeScript cannot see that.
        if ((this.state as State) !== 'stopped') this.pending = data.subarray(offset);
        return;
      }
      offset = next;
    }
  }

  /** Consumes from `offset`; returns the new offset, or -1 when more bytes are needed. */
  private step(data: Buffer, offset: number): number {
    switch (this.state) {
      case 'head':
        return this.readHead(data, offset);
      case 'body': {
        const take = Math.min(this.bytesLeft, data.length - offset);
        this.bytesLeft -= take;
        if (this.bytesLeft === 0) this.finishRequest();
        return offset + take;
      }
      case 'chunk-size':
        return this.readChunkSize(data, offset);
      case 'chunk-data': {
        const take = Math.min(this.bytesLeft, data.length - offset);
        this.bytesLeft -= take;
        if (this.bytesLeft === 0) {
          this.state = 'chunk-data-end';
          this.bytesLeft = 2;
        }
        return offset + take;
      }
      case 'chunk-data-end': {
        // The CRLF after chunk data; skipped without checking.
        const take = Math.min(this.bytesLeft, data.length - offset);
        this.bytesLeft -= take;
        if (this.bytesLeft === 0) this.state = 'chunk-size';
        return offset + take;
      }
      case 'trailers': {
        const lineEnd = data.indexOf(CRLF, offset);
        if (lineEnd < 0) return data.length - offset > MAX_HEAD_BYTES ? this.fail(431, 'trailers too large') : -1;
        if (lineEnd === offset) this.finishRequest();
        return lineEnd + 2;
      }
      case 'stopped':
        return data.length;
    }
  }

  private readHead(data: Buffer, offset: number): number {
    // Empty lines before a request line are allowed (RFC 9112 2.2).
    while (offset + 1 < data.length && data[offset] === 13 && data[offset + 1] === 10) offset += 2;
    if (offset >= data.length) return data.length;
    const headEnd = data.indexOf(HEAD_END, offset);
    if (headEnd < 0) return data.length - offset > MAX_HEAD_BYTES ? this.fail(431, 'request head too large') : -1;
    const lines = data.toString('latin1', offset, headEnd).split('\r\n');
    const request = this.parseHead(lines);
    if (!request) return data.length;
    this.request = request.request;
    if (request.chunked) this.state = 'chunk-size';
    else if (request.contentLength > 0) {
      this.state = 'body';
      this.bytesLeft = request.contentLength;
    } else this.finishRequest();
    return headEnd + 4;
  }

  private parseHead(lines: string[]): { request: Http1Request; contentLength: number; chunked: boolean } | null {
    const parts = lines[0]!.split(' ');
    if (parts.length !== 3 || !TOKEN_RE.test(parts[0]!) || parts[1]!.length === 0) {
      this.fail(400, 'malformed request line');
      return null;
    }
    const version = VERSION_RE.exec(parts[2]!);
    if (!version) {
      this.fail(400, 'malformed HTTP version');
      return null;
    }
    if (version[1] !== '1' || (version[2] !== '0' && version[2] !== '1')) {
      this.fail(505, `HTTP/${version[1]}.${version[2]} is not supported`);
      return null;
    }
    const request: Http1Request = {
      method: parts[0]!,
      target: parts[1]!,
      minorVersion: version[2] === '1' ? 1 : 0,
      headerLines: lines.length > 1 ? lines.slice(1) : [],
      connectionClose: false,
      connectionKeepAlive: false,
    };
    let contentLength = -1;
    let transferEncoding: string | null = null;
    for (const line of request.headerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0 || line.charCodeAt(colon - 1) === 32 || line.charCodeAt(colon - 1) === 9) {
        this.fail(400, 'malformed header line');
        return null;
      }
      const name = line.slice(0, colon).toLowerCase();
      if (name === 'connection') {
        for (const token of line.slice(colon + 1).split(',')) {
          const t = token.trim().toLowerCase();
          if (t === 'close') request.connectionClose = true;
          else if (t === 'keep-alive') request.connectionKeepAlive = true;
        }
      } else if (name === 'content-length') {
        const value = line.slice(colon + 1).trim();
        if (!/^\d+$/.test(value) || (contentLength >= 0 && contentLength !== Number(value))) {
          this.fail(400, 'bad Content-Length');
          return null;
        }
        contentLength = Number(value);
      } else if (name === 'transfer-encoding') {
        const value = line
          .slice(colon + 1)
          .trim()
          .toLowerCase();
        transferEncoding = transferEncoding === null ? value : `${transferEncoding}, ${value}`;
      }
    }
    if (transferEncoding !== null) {
      // Both framings at once is how requests are smuggled: refuse it.
      if (contentLength >= 0 || !/(^|,)\s*chunked$/.test(transferEncoding)) {
        this.fail(400, 'unsupported Transfer-Encoding');
        return null;
      }
      return { request, contentLength: 0, chunked: true };
    }
    return { request, contentLength: Math.max(contentLength, 0), chunked: false };
  }

  private readChunkSize(data: Buffer, offset: number): number {
    const lineEnd = data.indexOf(CRLF, offset);
    if (lineEnd < 0) return data.length - offset > MAX_CHUNK_LINE_BYTES ? this.fail(400, 'chunk size line too long') : -1;
    const sizeText = data.toString('latin1', offset, lineEnd).split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) return this.fail(400, 'bad chunk size');
    const size = parseInt(sizeText, 16);
    if (size === 0) this.state = 'trailers';
    else {
      this.state = 'chunk-data';
      this.bytesLeft = size;
    }
    return lineEnd + 2;
  }

  private finishRequest(): void {
    const request = this.request!;
    this.request = null;
    this.state = 'head';
    this.onRequest(request);
  }

  private fail(status: number, reason: string): number {
    this.stop();
    this.onError({ status, reason });
    return Number.MAX_SAFE_INTEGER;
  }
}
