// Properties of the HTTP/1.x response parser: any split of a valid byte stream gives the same
// responses as the whole stream; random bytes, fed in any pieces, never throw, only report a parse error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResponseParser, type ResponseHead } from '../../src/http1/response-parser.js';

interface Seen {
  events: string[];
  heads: ResponseHead[];
  error: boolean;
  finish: string | null;
}

/** Older bytes a reused read buffer holds past each read: heads and terminators that are not the stream's. */
const STALE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n\r\n\r\n0\r\n\r\n'.repeat(4), 'latin1');

/**
 * Feeds `pieces` as a client's socket does: each copied into one reused buffer and handed over with its
 * length, overwritten afterwards (a parser that kept them would show it). After each piece the buffer
 * holds the stream's next bytes and then stale heads: a parser that read past the length would take
 * bytes before they came, or bytes that never came.
 */
function feed(pieces: Buffer[]): Seen {
  const whole = Buffer.concat(pieces);
  const readBuffer = Buffer.alloc(whole.length + STALE.length);
  let fed = 0;
  const events: string[] = [];
  const heads: ResponseHead[] = [];
  const parser: ResponseParser = new ResponseParser({
    onMessageBegin: () => events.push('begin'),
    onInformational: (code) => events.push(`info ${code}`),
    onHeaders: (head) => {
      heads.push({ ...head });
      events.push(`headers ${head.statusCode}`);
      return false;
    },
    onMessageComplete: () => events.push(`complete ${parser.bodyBytes}`),
  });
  for (const piece of pieces) {
    whole.copy(readBuffer, 0, fed);
    STALE.copy(readBuffer, whole.length - fed);
    fed += piece.length;
    const result = parser.execute(readBuffer, piece.length);
    readBuffer.fill(0x58);
    if (result !== null) {
      expect(result).toBe('parse-error');
      return { events, heads, error: true, finish: null };
    }
  }
  return { events, heads, error: false, finish: parser.finish() };
}

/** `bytes` cut at the given positions (any order, duplicates allowed). */
function cut(bytes: Buffer, positions: number[]): Buffer[] {
  const at = [...new Set(positions.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

const tokenArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/).filter((n) => !/^(content-length|transfer-encoding|connection|keep-alive)$/i.test(n));
const valueArb = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);
const bodyArb = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));

/** One valid response: a 1xx or not before it, framed by length or chunks, or a 204/304 without a body. */
const responseArb = fc
  .record({
    informational: fc.boolean(),
    status: fc.constantFrom(200, 201, 204, 301, 304, 404, 500),
    minor: fc.constantFrom(0, 1),
    headers: fc.array(fc.tuple(tokenArb, valueArb), { maxLength: 4 }),
    chunked: fc.boolean(),
    chunks: fc.array(bodyArb, { maxLength: 4 }),
    keepAliveHeader: fc.option(fc.tuple(fc.nat(100), fc.nat(1000)), { nil: null }),
  })
  .map((r) => {
    const lines = [`HTTP/1.${r.minor} ${r.status} Reason`];
    for (const [n, v] of r.headers) lines.push(`${n}: ${v}`);
    // HTTP/1.0 needs keep-alive to go on after this response; 1.1 persists by default.
    if (r.minor === 0) lines.push('Connection: keep-alive');
    if (r.keepAliveHeader) lines.push(`Keep-Alive: timeout=${r.keepAliveHeader[0]}, max=${r.keepAliveHeader[1]}`);
    const noBody = r.status === 204 || r.status === 304;
    const chunked = r.chunked && r.minor === 1 && !noBody;
    const body = noBody ? Buffer.alloc(0) : Buffer.concat(r.chunks);
    let bodyBytes: Buffer;
    if (chunked) {
      lines.push('Transfer-Encoding: chunked');
      const parts = r.chunks.filter((c) => c.length > 0).map((c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]));
      bodyBytes = Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
    } else {
      if (!noBody) lines.push(`Content-Length: ${body.length}`);
      bodyBytes = body;
    }
    const info = r.informational && r.minor === 1 ? 'HTTP/1.1 100 Continue\r\n\r\n' : '';
    return Buffer.concat([Buffer.from(`${info}${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bodyBytes]);
  });

describe('response parser (property)', () => {
  it('any split of a valid stream gives the same responses as the whole', () => {
    fc.assert(
      fc.property(fc.array(responseArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), (responses, positions) => {
        const stream = Buffer.concat(responses);
        const whole = feed([stream]);
        expect(whole.error).toBe(false);
        expect(whole.heads).toHaveLength(responses.length);
        expect(whole.finish).toBe('idle');
        expect(feed(cut(stream, positions))).toEqual(whole);
      }),
      { numRuns: 1500 },
    );
  });

  it('byte by byte gives the same responses as the whole', () => {
    fc.assert(
      fc.property(fc.array(responseArb, { minLength: 1, maxLength: 3 }), (responses) => {
        const stream = Buffer.concat(responses);
        expect(feed(Array.from(stream, (_, i) => stream.subarray(i, i + 1)))).toEqual(feed([stream]));
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes, in any pieces, never throw: a parse error at most', () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      // bytes after a plausible start, so the parser gets past the status line now and then
      fc
        .tuple(
          fc.constantFrom('HTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n'),
          fc.uint8Array({ maxLength: 200 }),
        )
        .map(([s, a]) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from(a)])),
    );
    fc.assert(
      fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 8 }), (bytes, positions) => {
        const seen = feed(cut(bytes, positions));
        // the same verdict however the bytes were cut
        expect(seen).toEqual(feed([bytes]));
      }),
      { numRuns: 3000 },
    );
  });
});
