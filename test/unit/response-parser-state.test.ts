// The parser's state between and inside messages: idle, bodyBytes, finish(), reset() (also from a
// callback), the reused head object, Buffer views and options.
import { describe, expect, it } from 'vitest';
import { ResponseHeadReader } from '../../src/http1/response-head.js';
import { ResponseParser, type ParserEvents, type ResponseHead } from '../../src/http1/response-parser.js';

const lines = (...parts: string[]): string => parts.join('\r\n');
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

function quietEvents(overrides: Partial<ParserEvents> = {}): ParserEvents {
  return { onMessageBegin() {}, onInformational() {}, onHeaders: () => false, onMessageComplete() {}, ...overrides };
}

describe('ResponseParser state', () => {
  it('is idle between messages and not inside one', () => {
    const parser = new ResponseParser(quietEvents());
    expect(parser.idle).toBe(true);
    expect(parser.finish()).toBe('idle');
    parser.execute(bytes('H'));
    expect(parser.idle).toBe(false);
    parser.execute(bytes('TTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab'));
    expect(parser.idle).toBe(false);
    parser.execute(bytes('cd'));
    expect(parser.idle).toBe(true);
    expect(parser.finish()).toBe('idle');
  });

  it('counts body bytes as they arrive, for length, chunked and close-delimited bodies', () => {
    const seen: number[] = [];
    const parser: ResponseParser = new ResponseParser(quietEvents({ onMessageComplete: () => seen.push(parser.bodyBytes) }));
    parser.execute(bytes(lines('HTTP/1.1 200 OK', 'Content-Length: 10', '', '123')));
    expect(parser.bodyBytes).toBe(3);
    parser.execute(bytes('4567890'));
    expect(parser.bodyBytes).toBe(10);
    parser.execute(bytes(lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '4', 'ab')));
    expect(parser.bodyBytes).toBe(2); // reset at the new response's first byte
    parser.execute(bytes(lines('cd', '3', 'efg', '0', '', '')));
    expect(parser.bodyBytes).toBe(7); // chunk data only
    parser.execute(bytes(lines('HTTP/1.0 200 OK', '', 'abc')));
    parser.execute(bytes('de'));
    expect(parser.bodyBytes).toBe(5);
    expect(parser.finish()).toBe('complete');
    expect(seen).toEqual([10, 7, 5]);
    expect(parser.bodyBytes).toBe(5); // the last response's, until the next one begins
  });

  it('finish() reports truncation wherever EOF falls inside a message', () => {
    const full = lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '3', 'abc', '0', 'T: 1', '', '');
    for (let cut = 1; cut < full.length; cut++) {
      const parser = new ResponseParser(quietEvents());
      expect(parser.execute(bytes(full.slice(0, cut)))).toBe(null);
      expect(parser.finish(), `cut at ${cut}`).toBe('truncated');
    }
    const parser = new ResponseParser(quietEvents());
    parser.execute(bytes(full));
    expect(parser.finish()).toBe('idle');
  });

  it('the head object is one reused object, valid during onHeaders', () => {
    const seen: ResponseHead[] = [];
    const statuses: number[] = [];
    const parser = new ResponseParser(quietEvents({ onHeaders: (head) => (seen.push(head), statuses.push(head.statusCode), false) }));
    const empty = (status: string): string => lines(status, 'Content-Length: 0', '', '');
    parser.execute(bytes(empty('HTTP/1.1 200 OK') + empty('HTTP/1.1 404 Nope')));
    expect(statuses).toEqual([200, 404]);
    expect(seen[0]).toBe(seen[1]);
  });

  it('stops parsing when a callback calls reset(), and parses new input after it', () => {
    let completes = 0;
    const parser: ResponseParser = new ResponseParser(
      quietEvents({
        onMessageComplete: () => {
          completes++;
          parser.reset();
        },
      }),
    );
    const two = lines('HTTP/1.1 200 OK', 'Content-Length: 1', '', 'a') + lines('HTTP/1.1 200 OK', 'Content-Length: 1', '', 'b');
    expect(parser.execute(bytes(two))).toBe(null);
    expect(completes).toBe(1);
    expect(parser.idle).toBe(true);
    expect(parser.execute(bytes(two))).toBe(null);
    expect(completes).toBe(2);
  });

  it('reset() inside onHeaders drops the rest of that response', () => {
    let headers = 0;
    const parser: ResponseParser = new ResponseParser(
      quietEvents({
        onHeaders: () => {
          if (++headers === 1) parser.reset();
          return false;
        },
      }),
    );
    expect(parser.execute(bytes(lines('HTTP/1.1 200 OK', 'Content-Length: 5', '', 'hel')))).toBe(null);
    expect(parser.idle).toBe(true);
    expect(parser.execute(bytes(lines('HTTP/1.1 200 OK', 'Content-Length: 0', '', '')))).toBe(null);
    expect(headers).toBe(2);
  });

  it('reads only inside a Buffer view, not the memory around it', () => {
    const backing = bytes('xxHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nyy');
    let headers = 0;
    const parser = new ResponseParser(quietEvents({ onHeaders: () => (headers++, false) }));
    expect(parser.execute(backing.subarray(2, backing.length - 4))).toBe(null); // ends before "\r\n" of the blank line
    expect(headers).toBe(0);
    expect(parser.idle).toBe(false);
    expect(parser.execute(backing.subarray(backing.length - 4, backing.length - 2))).toBe(null);
    expect(headers).toBe(1);
    expect(parser.idle).toBe(true);
    expect(parser.execute(Buffer.alloc(0))).toBe(null);
  });

  it('rejects a bad maxHeaderBytes when constructed', () => {
    expect(() => new ResponseParser(quietEvents(), { maxHeaderBytes: 0 })).toThrow(/maxHeaderBytes/);
    expect(() => new ResponseParser(quietEvents(), { maxHeaderBytes: 1.5 })).toThrow(/maxHeaderBytes/);
  });

  it('holds a large head split into many pieces', () => {
    const padding = Array.from({ length: 200 }, (_, i) => `X-Pad-${i}: ${'v'.repeat(100)}`);
    const input = bytes(lines('HTTP/1.1 200 OK', ...padding, 'Content-Length: 2', '', 'ok'));
    let completes = 0;
    const parser = new ResponseParser(quietEvents({ onMessageComplete: () => completes++ }));
    for (let pos = 0; pos < input.length; pos += 7) expect(parser.execute(input.subarray(pos, pos + 7))).toBe(null);
    expect(completes).toBe(1);
  });
});

describe('ResponseHeadReader: a head that repeats the last one', () => {
  const head = lines('HTTP/1.1 200 OK', 'Content-Length: 12', 'Connection: keep-alive', 'X-Server: a7', '', '');
  /** The same head with byte i changed to another of its kind (digit, letter), or null for other bytes. */
  const changedAt = (i: number): string | null => {
    const c = head[i]!;
    const other = /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : /[a-z]/i.test(c) ? (c === 'z' || c === 'Z' ? 'a' : String.fromCharCode(c.charCodeAt(0) + 1)) : null;
    return other === null ? null : head.slice(0, i) + other + head.slice(i + 1);
  };

  it('is parsed again when any byte differs, at every alignment in a reused buffer and in a view of one', () => {
    const reader = new ResponseHeadReader();
    const reused = Buffer.allocUnsafeSlow(512);
    const view = Buffer.allocUnsafeSlow(512).subarray(3, 300); // a view whose memory starts unaligned
    let compared = 0;
    for (const buffer of [reused, view]) {
      for (let offset = 0; offset < 8; offset++) {
        for (let i = 0; i < head.length; i++) {
          const changed = changedAt(i);
          if (changed === null) continue;
          buffer.fill(0x78);
          buffer.write(head, offset, 'latin1');
          expect(reader.parse(buffer, offset, offset + head.length)).toBe(offset + head.length); // remembered now
          buffer.write(changed, offset, 'latin1');
          const fresh = new ResponseHeadReader();
          const freshEnd = fresh.parse(Buffer.from(changed, 'latin1'), 0);
          const end = reader.parse(buffer, offset, offset + head.length);
          // A malformed head leaves the head object as the parse left it: only a parsed one is compared.
          expect(end === -1 ? -1 : end - offset).toBe(freshEnd);
          if (end !== -1) expect({ ...reader.head }).toEqual({ ...fresh.head });
          compared++;
        }
      }
    }
    expect(compared).toBe(2 * 8 * 54); // every letter and digit of the head, at each alignment of each buffer
  });

  it('is taken from memory when it is the same, at every alignment', () => {
    const reader = new ResponseHeadReader();
    const buffer = Buffer.allocUnsafeSlow(512);
    for (let offset = 0; offset < 8; offset++) {
      buffer.write(head, offset, 'latin1');
      expect(reader.parse(buffer, offset, offset + head.length)).toBe(offset + head.length);
      expect(reader.head).toMatchObject({ statusCode: 200, contentLength: 12, bodyKind: 'length', keepAlive: true });
    }
  });
});
