// The parser's state between and inside messages: idle, bodyBytes, finish(), reset() (also from a
// callback), the reused head object, Buffer views and options.
import { describe, expect, it } from 'vitest';
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
