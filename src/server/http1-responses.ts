// HTTP/1.x response bytes, built once per shape and reused: the hot path is one
// cached Buffer written to the socket.
import type { BodyPool } from './body-pool.js';
import { reasonPhrase, statusHasBody } from './request-target.js';

export interface Http1Framing {
  chunked: boolean;
  keepAlive: boolean;
  /** HEAD request: headers as for GET, no body */
  headOnly: boolean;
}

/** Above this, head and body are written as separate buffers instead of one copy. */
const MAX_JOINED_BYTES = 64 * 1024;
const MAX_CACHED_SHAPES = 512;
const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n', 'latin1');
const EMPTY_CHUNKED_BODY = Buffer.from('0\r\n\r\n', 'latin1');

export class Http1Responses {
  private readonly cache = new Map<string, Buffer[]>();

  /** @param keepAliveValue value of the Keep-Alive header on keep-alive answers, or null for none
   *  @param servedBy the server's name for the X-Served-By header (a backend behind a balancer), or null */
  constructor(
    private readonly keepAliveValue: string | null,
    private readonly bodies: BodyPool,
    servedBy: string | null = null,
  ) {
    this.nameHeader = servedBy === null ? '' : `X-Served-By: ${servedBy}\r\n`;
  }

  private readonly nameHeader: string;

  /** A complete answer of `bodyBytes` fixed bytes. */
  fixed(status: number, bodyBytes: number, framing: Http1Framing): Buffer[] {
    const key = `${status}:${bodyBytes}:${+framing.chunked}${+framing.keepAlive}${+framing.headOnly}`;
    let bytes = this.cache.get(key);
    if (!bytes) {
      bytes = this.build(status, this.bodies.get(bodyBytes), framing);
      if (this.cache.size >= MAX_CACHED_SHAPES) this.cache.clear();
      this.cache.set(key, bytes);
    }
    return bytes;
  }

  /** An answer with the given text as its body (not cached). */
  text(status: number, text: string, framing: Http1Framing): Buffer[] {
    return this.build(status, Buffer.from(text, 'latin1'), framing);
  }

  /** Head announcing `bodyBytes` by Content-Length, followed by half of the body only. */
  truncated(bodyBytes: number, keepAlive: boolean): Buffer[] {
    const head = this.head(200, keepAlive, `Content-Length: ${bodyBytes}\r\n`);
    return [head, this.bodies.get(Math.floor(bodyBytes / 2))];
  }

  /** A response whose status line no client can parse. */
  malformed(bodyBytes: number): Buffer[] {
    const head = `HTTP/1.1 2x0 OK\r\nContent-Type: text/plain\r\nContent-Length: ${bodyBytes}\r\nConnection: close\r\n\r\n`;
    return [Buffer.from(head, 'latin1'), this.bodies.get(bodyBytes)];
  }

  private build(status: number, body: Buffer, framing: Http1Framing): Buffer[] {
    if (!statusHasBody(status)) return [this.head(status, framing.keepAlive, '')];
    if (!framing.chunked) {
      const head = this.head(status, framing.keepAlive, `Content-Length: ${body.length}\r\n`);
      return this.join(framing.headOnly ? [head] : [head, body]);
    }
    const head = this.head(status, framing.keepAlive, 'Transfer-Encoding: chunked\r\n');
    if (framing.headOnly) return [head];
    if (body.length === 0) return this.join([head, EMPTY_CHUNKED_BODY]);
    // One chunk holding the whole body, then the last-chunk.
    const sizeLine = Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1');
    return this.join([head, sizeLine, body, CHUNKED_END]);
  }

  private head(status: number, keepAlive: boolean, framingHeader: string): Buffer {
    let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-Type: text/plain\r\n${this.nameHeader}${framingHeader}`;
    if (!keepAlive) head += 'Connection: close\r\n';
    else {
      head += 'Connection: keep-alive\r\n';
      if (this.keepAliveValue) head += `Keep-Alive: ${this.keepAliveValue}\r\n`;
    }
    return Buffer.from(`${head}\r\n`, 'latin1');
  }

  private join(parts: Buffer[]): Buffer[] {
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    return total <= MAX_JOINED_BYTES ? [Buffer.concat(parts, total)] : parts;
  }
}

/** The Keep-Alive header value the options call for, or null when there is nothing to say. */
export function keepAliveHeaderValue(keepAliveTimeoutMs: number | null, keepAliveMax: number | null): string | null {
  const parts: string[] = [];
  // The header counts whole seconds; under one second it is left out rather than saying 0.
  if (keepAliveTimeoutMs !== null && keepAliveTimeoutMs >= 1000) parts.push(`timeout=${Math.floor(keepAliveTimeoutMs / 1000)}`);
  if (keepAliveMax !== null) parts.push(`max=${keepAliveMax}`);
  return parts.length ? parts.join(', ') : null;
}
