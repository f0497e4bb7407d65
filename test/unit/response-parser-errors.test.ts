// Malformed responses give 'parse-error' (never an exception), at the same point whatever the split;
// a seeded fuzz loop checks the same on random and mutated input.
import { describe, expect, it } from 'vitest';
import { ResponseParser } from '../../src/http1/response-parser.js';
import { seededRandom } from '../../src/server/faults.js';

const lines = (...parts: string[]): string => parts.join('\r\n');

interface Fed {
  events: string[];
  error: boolean;
  finish: string | null;
}

function feed(pieces: Buffer[], maxHeaderBytes?: number): Fed {
  const events: string[] = [];
  const parser: ResponseParser = new ResponseParser(
    {
      onMessageBegin: () => events.push('begin'),
      onInformational: (code) => events.push(`info ${code}`),
      onHeaders: (head) => (events.push(`headers ${head.statusCode} ${head.bodyKind}`), false),
      onMessageComplete: () => events.push(`complete ${parser.bodyBytes}`),
    },
    maxHeaderBytes === undefined ? undefined : { maxHeaderBytes },
  );
  for (const piece of pieces) {
    if (parser.execute(piece) !== null) {
      // Unusable until reset(): more input is refused too.
      expect(parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toBe('parse-error');
      expect(parser.idle).toBe(false);
      expect(parser.finish()).toBe('truncated');
      expect(typeof parser.errorReason).toBe('string');
      return { events, error: true, finish: null };
    }
  }
  return { events, error: false, finish: parser.finish() };
}

function feedings(input: Buffer): Array<[string, Buffer[]]> {
  const out: Array<[string, Buffer[]]> = [
    ['whole', [input]],
    ['byte by byte', Array.from(input, (_, i) => input.subarray(i, i + 1))],
  ];
  for (let i = 1; i < input.length; i++) out.push([`split at ${i}`, [input.subarray(0, i), input.subarray(i)]]);
  return out;
}

const withHead = (statusLine: string): string => lines(statusLine, 'Content-Length: 0', '', '');
const withHeader = (...headers: string[]): string => lines('HTTP/1.1 200 OK', ...headers, '', '');
const chunked = (...body: string[]): string => lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', ...body);

const malformed: Array<{ name: string; input: string; maxHeaderBytes?: number }> = [
  { name: 'HTTP/2.0 version', input: withHead('HTTP/2.0 200 OK') },
  { name: 'HTTP/1.2 version', input: withHead('HTTP/1.2 200 OK') },
  { name: 'lower-case protocol name', input: withHead('http/1.1 200 OK') },
  { name: 'not HTTP at all', input: withHead('ICY 200 OK') },
  { name: 'two-digit status', input: withHead('HTTP/1.1 20 OK') },
  { name: 'four-digit status', input: withHead('HTTP/1.1 2000 OK') },
  { name: 'status below 100', input: withHead('HTTP/1.1 099 Low') },
  { name: 'status not digits', input: withHead('HTTP/1.1 abc OK') },
  { name: 'two spaces before the status', input: withHead('HTTP/1.1  200 OK') },
  { name: 'no space before the reason', input: withHead('HTTP/1.1 200OK') },
  { name: 'control byte in the reason', input: withHead('HTTP/1.1 200 O\x01K') },
  { name: 'status line cut short', input: withHead('HTTP/1.1') },
  { name: 'empty line before the status line', input: '\r\n' + withHead('HTTP/1.1 200 OK') },
  { name: 'header line without a colon', input: withHeader('NoColonHere') },
  { name: 'space before the colon', input: withHeader('Content-Length : 0') },
  { name: 'tab before the colon', input: withHeader('X-A\t: 1') },
  { name: 'empty header name', input: withHeader(': value') },
  { name: 'non-token byte in a name', input: withHeader('X(y): 1') },
  { name: 'obs-text in a name', input: withHeader('\xe4: 1') },
  { name: 'whitespace before the first header', input: withHeader(' X-A: 1') },
  { name: 'obs-fold in Content-Length', input: withHeader('Content-Length: 1', ' 0') },
  { name: 'obs-fold in Transfer-Encoding', input: withHeader('Transfer-Encoding: gzip,', ' chunked') },
  { name: 'bare CR in a value', input: withHeader('X-A: a\rb') },
  { name: 'bare LF in a value', input: withHeader('X-A: a\nb') },
  { name: 'NUL in a value', input: withHeader('X-A: a\x00b') },
  { name: 'DEL in a value', input: withHeader('X-A: \x7f') },
  { name: 'Content-Length not digits', input: withHeader('Content-Length: abc') },
  { name: 'Content-Length empty', input: withHeader('Content-Length:') },
  { name: 'Content-Length negative', input: withHeader('Content-Length: -1') },
  { name: 'Content-Length with a sign', input: withHeader('Content-Length: +5') },
  { name: 'Content-Length in hex', input: withHeader('Content-Length: 0x10') },
  { name: 'Content-Length list of different values', input: withHeader('Content-Length: 5, 6') },
  { name: 'Content-Length with an empty list element', input: withHeader('Content-Length: 5,') },
  { name: 'Content-Length with two numbers', input: withHeader('Content-Length: 5 5') },
  { name: 'conflicting Content-Length lines', input: withHeader('Content-Length: 5', 'Content-Length: 6') },
  { name: 'Content-Length of 2^53', input: withHeader('Content-Length: 9007199254740992') },
  { name: 'Content-Length of 20 digits', input: withHeader('Content-Length: 99999999999999999999') },
  { name: 'chunk size not hex', input: chunked('xyz', '') },
  { name: 'chunk size missing', input: chunked('', 'abc') },
  { name: 'chunk size with a sign', input: chunked('-5', '') },
  { name: 'chunk size with 0x', input: chunked('0x5', '') },
  { name: 'chunk size above 2^53', input: chunked('20000000000001', '') },
  { name: 'chunk size of 20 hex digits', input: chunked('FFFFFFFFFFFFFFFFFFFF', '') },
  { name: 'garbage after the chunk size', input: chunked('5 x', 'hello') },
  { name: 'bare LF after the chunk size', input: chunked('5\nhello', '0', '', '') },
  { name: 'control byte in a chunk extension', input: chunked('5;a\x01', 'hello') },
  { name: 'no CRLF after chunk data', input: chunked('5', 'helloX', '0', '', '') },
  { name: 'LF only after chunk data', input: chunked('5', 'hello\n0', '', '') },
  { name: 'trailer line without a colon', input: chunked('0', 'NoColon', '', '') },
  { name: 'space before a trailer colon', input: chunked('0', 'X-T : 1', '', '') },
  { name: 'folded trailer line', input: chunked('0', 'X-T: 1', ' more', '', '') },
  { name: 'final CRLF of a chunked body broken', input: chunked('0', '\rX') },
  { name: 'head larger than maxHeaderBytes', input: withHeader('X-Padding: ' + 'p'.repeat(80)), maxHeaderBytes: 64 },
  { name: 'head one byte over maxHeaderBytes', input: withHeader('Content-Length: 0', 'X-P: ' + 'p'.repeat(19)), maxHeaderBytes: 63 },
  { name: 'bytes that cannot start a status line fail before a head end arrives', input: '\x16\x03\x01\x02\x00\x01' },
  { name: 'HTTP/2 preface-like bytes fail early', input: 'HTTP/2' },
  {
    name: 'interim head larger than maxHeaderBytes',
    input: lines('HTTP/1.1 103 Early Hints', 'Link: ' + 'l'.repeat(60), '', '') + withHead('HTTP/1.1 200 OK'),
    maxHeaderBytes: 64,
  },
  { name: 'trailers larger than maxHeaderBytes', input: chunked('0', 'X-T: ' + 't'.repeat(80), '', ''), maxHeaderBytes: 64 },
  {
    name: 'a malformed response after valid ones (pipelined)',
    input: withHead('HTTP/1.1 200 OK') + withHead('HTTP/1.1 204 No Content') + withHead('HTTP/9.9 200 OK'),
  },
];

describe('ResponseParser malformed input', () => {
  for (const c of malformed) {
    it(`${c.name}: parse-error, the same from every split`, () => {
      const input = Buffer.from(c.input, 'latin1');
      const whole = feed([input], c.maxHeaderBytes);
      expect(whole.error).toBe(true);
      for (const [label, pieces] of feedings(input)) {
        expect(feed(pieces, c.maxHeaderBytes), label).toEqual(whole);
      }
    });
  }

  it('accepts a head of exactly maxHeaderBytes', () => {
    const input = Buffer.from(withHeader('Content-Length: 0', 'X-P: ' + 'p'.repeat(19)), 'latin1');
    expect(input.length).toBe(64);
    for (const [label, pieces] of feedings(input)) {
      expect(feed(pieces, 64), label).toEqual({ events: ['begin', 'headers 200 length', 'complete 0'], error: false, finish: 'idle' });
    }
  });

  it('is usable again after reset()', () => {
    let completes = 0;
    const parser = new ResponseParser({
      onMessageBegin() {},
      onInformational() {},
      onHeaders: () => false,
      onMessageComplete: () => completes++,
    });
    expect(parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nBad Header\r\n\r\n'))).toBe('parse-error');
    parser.reset();
    expect(parser.errorReason).toBe(null);
    expect(parser.idle).toBe(true);
    expect(parser.execute(Buffer.from(withHead('HTTP/1.1 200 OK')))).toBe(null);
    expect(completes).toBe(1);
  });
});

const corpus = [
  lines('HTTP/1.1 200 OK', 'Content-Length: 5', 'Keep-Alive: timeout=5, max=10', 'Connection: keep-alive', '', 'hello'),
  chunked('5;x=y', 'hello', '0', 'T: 1', '', ''),
  lines('HTTP/1.1 100 Continue', '', '') + withHead('HTTP/1.0 204 No Content'),
  lines('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, chunked', 'Content-Length: 3', '', '3', 'abc', '0', '', ''),
  lines('HTTP/1.0 200 OK', '', 'close-delimited'),
].map((s) => Buffer.from(s, 'latin1'));
const interesting = Buffer.from('\r\n:; 0aF,="\t\x00\xff-', 'latin1');

function mutate(random: () => number): Buffer {
  const bytes = [...corpus[Math.floor(random() * corpus.length)]!];
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (bytes.length + 1));
    const byte = random() < 0.6 ? interesting[Math.floor(random() * interesting.length)]! : Math.floor(random() * 256);
    const kind = random();
    if (kind < 0.4) bytes[at] = byte;
    else if (kind < 0.7) bytes.splice(at, 0, byte);
    else bytes.splice(at, 1);
  }
  return Buffer.from(bytes);
}

describe('ResponseParser fuzz (seeded, bounded)', () => {
  it('never throws and gives the same result for whole, split and byte-by-byte input', () => {
    const random = seededRandom(0xc0ffee);
    let errors = 0;
    for (let i = 0; i < 1500; i++) {
      let input: Buffer;
      if (i < 300) {
        const bytes = Buffer.alloc(Math.floor(random() * 200));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
        input = i % 2 === 0 ? Buffer.concat([Buffer.from('HTTP/1.1 200 '), bytes]) : bytes;
      } else {
        input = mutate(random);
      }
      const whole = feed([input]);
      const at = Math.floor(random() * (input.length + 1));
      expect(feed([input.subarray(0, at), input.subarray(at)]), `case ${i} split at ${at}`).toEqual(whole);
      expect(feed(Array.from(input, (_, j) => input.subarray(j, j + 1))), `case ${i} byte by byte`).toEqual(whole);
      if (whole.error) errors++;
    }
    // Both outcomes must have been exercised.
    expect(errors).toBeGreaterThan(100);
    expect(errors).toBeLessThan(1500);
  });
});
