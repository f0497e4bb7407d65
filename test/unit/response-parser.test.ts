// The HTTP/1.x response parser on well-formed input: every case is fed whole, byte by byte and split at
// every position, and must give the same events, heads and finish() result each way.
import { describe, expect, it } from 'vitest';
import { ResponseParser, type ResponseHead } from '../../src/http1/response-parser.js';

const lines = (...parts: string[]): string => parts.join('\r\n');

interface Run {
  events: string[];
  heads: ResponseHead[];
  error: boolean;
  finish: 'idle' | 'complete' | 'truncated' | null;
}

/** Feeds copies of the pieces (overwritten after each execute, so a parser that kept them would break). */
function run(pieces: Buffer[], noBody: boolean[] = []): Run {
  const events: string[] = [];
  const heads: ResponseHead[] = [];
  const pendingNoBody = [...noBody];
  const parser: ResponseParser = new ResponseParser({
    onMessageBegin: () => events.push('begin'),
    onInformational: (code) => events.push(`info ${code}`),
    onHeaders: (head) => {
      heads.push({ ...head });
      events.push(`headers ${head.statusCode}`);
      return pendingNoBody.shift() ?? false;
    },
    onMessageComplete: () => events.push(`complete ${parser.bodyBytes}`),
  });
  for (const piece of pieces) {
    const copy = Buffer.from(piece);
    const result = parser.execute(copy);
    copy.fill(0x58);
    if (result !== null) return { events, heads, error: true, finish: null };
  }
  return { events, heads, error: false, finish: parser.finish() };
}

/** Whole, byte by byte, and (for small inputs) split in two at every position. */
function splits(input: Buffer): Array<{ label: string; pieces: Buffer[] }> {
  const out = [
    { label: 'whole', pieces: [input] },
    { label: 'byte by byte', pieces: Array.from(input, (_, i) => input.subarray(i, i + 1)) },
  ];
  if (input.length <= 600) {
    for (let i = 1; i < input.length; i++) {
      out.push({ label: `split at ${i}`, pieces: [input.subarray(0, i), input.subarray(i)] });
    }
  }
  return out;
}

interface Case {
  name: string;
  input: string;
  noBody?: boolean[];
  events: string[];
  heads?: Array<Partial<ResponseHead>>;
  finish: 'idle' | 'complete' | 'truncated';
}

function checkEverySplit(c: Case): void {
  for (const { label, pieces } of splits(Buffer.from(c.input, 'latin1'))) {
    const result = run(pieces, c.noBody);
    expect(result.error, label).toBe(false);
    expect(result.events, label).toEqual(c.events);
    expect(result.finish, label).toBe(c.finish);
    if (c.heads) {
      expect(result.heads.length, label).toBe(c.heads.length);
      c.heads.forEach((head, i) => expect(result.heads[i], label).toMatchObject(head));
    }
  }
}

const ok200 = (body: string): string => lines('HTTP/1.1 200 OK', `Content-Length: ${body.length}`, '', body);

const framingCases: Case[] = [
  {
    name: 'Content-Length body',
    input: lines('HTTP/1.1 200 OK', 'Server: test', 'Content-Length: 13', '', 'Hello, World!'),
    events: ['begin', 'headers 200', 'complete 13'],
    heads: [{ statusCode: 200, versionMinor: 1, keepAlive: true, bodyKind: 'length', contentLength: 13 }],
    finish: 'idle',
  },
  {
    name: 'Content-Length 0, name in odd case, list of equal values',
    input: lines('HTTP/1.1 200 OK', 'cOnTeNt-LeNgTh: 0, 0', 'Content-Length: 0', '', ''),
    events: ['begin', 'headers 200', 'complete 0'],
    heads: [{ bodyKind: 'length', contentLength: 0, keepAlive: true }],
    finish: 'idle',
  },
  {
    name: 'chunked with extensions, upper-case hex, leading zeros and trailers',
    input: lines(
      'HTTP/1.1 200 OK',
      'Transfer-Encoding: chunked',
      '',
      '5;name=value',
      'hello',
      '0006 ; a="b c";d',
      ' world',
      'A',
      '0123456789',
      '000',
      'X-Trailer: 1',
      'Y:2',
      '',
      '',
    ),
    events: ['begin', 'headers 200', 'complete 21'],
    heads: [{ bodyKind: 'chunked', contentLength: -1, keepAlive: true }],
    finish: 'idle',
  },
  {
    name: 'chunked, no trailers, whitespace after the size',
    input: lines('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, CHUNKED', '', '3 ', 'abc', '0', '', ''),
    events: ['begin', 'headers 200', 'complete 3'],
    heads: [{ bodyKind: 'chunked' }],
    finish: 'idle',
  },
  {
    name: 'close-delimited body ends at EOF',
    input: lines('HTTP/1.1 200 OK', 'Content-Type: text/plain', '', 'until the end'),
    events: ['begin', 'headers 200', 'complete 13'],
    heads: [{ bodyKind: 'close', keepAlive: false, keepAliveWithoutBody: true, contentLength: -1 }],
    finish: 'complete',
  },
  {
    name: 'Transfer-Encoding whose final coding is not chunked is close-delimited (RFC 9112 6.3)',
    input: lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked, gzip', '', 'zzzz'),
    events: ['begin', 'headers 200', 'complete 4'],
    heads: [{ bodyKind: 'close', keepAlive: false }],
    finish: 'complete',
  },
  {
    name: 'Transfer-Encoding and Content-Length: chunked wins, connection not reused',
    input: lines('HTTP/1.1 200 OK', 'Content-Length: 99', 'Transfer-Encoding: chunked', '', '2', 'ok', '0', '', ''),
    events: ['begin', 'headers 200', 'complete 2'],
    heads: [{ bodyKind: 'chunked', keepAlive: false, keepAliveWithoutBody: false, contentLength: 99 }],
    finish: 'idle',
  },
  {
    name: 'HEAD: onHeaders returns true, the Content-Length is not read',
    input: lines('HTTP/1.1 200 OK', 'Content-Length: 100', '', '') + ok200('next'),
    noBody: [true],
    events: ['begin', 'headers 200', 'complete 0', 'begin', 'headers 200', 'complete 4'],
    finish: 'idle',
  },
  {
    name: 'HEAD without a length: reusable without a body',
    input: lines('HTTP/1.1 200 OK', 'Content-Type: text/html', '', '') + ok200('x'),
    noBody: [true],
    events: ['begin', 'headers 200', 'complete 0', 'begin', 'headers 200', 'complete 1'],
    heads: [{ bodyKind: 'close', keepAlive: false, keepAliveWithoutBody: true }, { keepAlive: true }],
    finish: 'idle',
  },
  {
    name: '204 and 304 have no body, even with a Content-Length',
    input: lines('HTTP/1.1 204 No Content', '', '') + lines('HTTP/1.1 304 Not Modified', 'Content-Length: 1234', '', ''),
    events: ['begin', 'headers 204', 'complete 0', 'begin', 'headers 304', 'complete 0'],
    heads: [
      { bodyKind: 'none', keepAlive: true },
      { bodyKind: 'none', contentLength: 1234, keepAlive: true },
    ],
    finish: 'idle',
  },
  {
    name: '100 Continue then the final response',
    input: lines('HTTP/1.1 100 Continue', '', '') + ok200('done'),
    events: ['begin', 'info 100', 'begin', 'headers 200', 'complete 4'],
    finish: 'idle',
  },
  {
    name: 'two 103 Early Hints with headers, then the final response',
    input: lines('HTTP/1.1 103 Early Hints', 'Link: </a.css>; rel=preload', '', '') + lines('HTTP/1.1 103', 'Link: </b.js>', '', '') + ok200('page'),
    events: ['begin', 'info 103', 'begin', 'info 103', 'begin', 'headers 200', 'complete 4'],
    finish: 'idle',
  },
  {
    name: '101 Switching Protocols: the rest is not HTTP/1, counted as body until EOF',
    input: lines('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', '', '') + 'frames',
    events: ['begin', 'headers 101', 'complete 6'],
    heads: [{ bodyKind: 'close', keepAlive: false, keepAliveWithoutBody: false }],
    finish: 'complete',
  },
  {
    name: 'status line without reason, with empty reason, with obs-text reason',
    input:
      lines('HTTP/1.1 200', 'Content-Length: 1', '', 'a') +
      lines('HTTP/1.1 404 ', 'Content-Length: 1', '', 'b') +
      lines('HTTP/1.1 500 Fehler \xe4\xf6\t!', 'Content-Length: 1', '', 'c'),
    events: ['begin', 'headers 200', 'complete 1', 'begin', 'headers 404', 'complete 1', 'begin', 'headers 500', 'complete 1'],
    finish: 'idle',
  },
  {
    name: 'empty values, obs-text and obs-fold on an ordinary header',
    input: lines('HTTP/1.1 200 OK', 'X-Empty:', 'X-Text: caf\xe9', 'X-Folded: a', ' \tb', 'Content-Length: 2', '', 'ok'),
    events: ['begin', 'headers 200', 'complete 2'],
    finish: 'idle',
  },
  {
    name: 'truncated inside a Content-Length body',
    input: lines('HTTP/1.1 200 OK', 'Content-Length: 10', '', 'short'),
    events: ['begin', 'headers 200'],
    finish: 'truncated',
  },
  {
    name: 'truncated inside a chunked body',
    input: lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '5', 'hello', ''),
    events: ['begin', 'headers 200'],
    finish: 'truncated',
  },
  {
    name: 'truncated inside a head',
    input: ok200('a') + 'HTTP/1.1 200 OK\r\nContent-Le',
    events: ['begin', 'headers 200', 'complete 1', 'begin'],
    finish: 'truncated',
  },
  {
    name: 'truncated after an interim response',
    input: lines('HTTP/1.1 100 Continue', '', ''),
    events: ['begin', 'info 100'],
    finish: 'truncated',
  },
  {
    name: 'the largest chunk size (2^53) is accepted',
    input: lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '20000000000000', 'partial'),
    events: ['begin', 'headers 200'],
    finish: 'truncated',
  },
];

describe('ResponseParser framing', () => {
  for (const c of framingCases) it(c.name, () => checkEverySplit(c));
});

describe('ResponseParser pipelining', () => {
  it('parses a sequence of mixed responses from one buffer and from any split', () => {
    const input =
      ok200('first') +
      lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '3', 'abc', '0', '', '') +
      lines('HTTP/1.1 204 No Content', '', '') +
      lines('HTTP/1.1 100 Continue', '', '') +
      lines('HTTP/1.1 201 Created', 'Content-Length: 2', '', 'ok') +
      lines('HTTP/1.1 200 OK', 'Content-Length: 50', '', '') + // HEAD
      lines('HTTP/1.1 304 Not Modified', '', '') +
      lines('HTTP/1.1 200 OK', 'Connection: close', '', 'the rest');
    checkEverySplit({
      name: 'pipelined',
      input,
      noBody: [false, false, false, false, true],
      events: [
        'begin',
        'headers 200',
        'complete 5',
        'begin',
        'headers 200',
        'complete 3',
        'begin',
        'headers 204',
        'complete 0',
        'begin',
        'info 100',
        'begin',
        'headers 201',
        'complete 2',
        'begin',
        'headers 200',
        'complete 0',
        'begin',
        'headers 304',
        'complete 0',
        'begin',
        'headers 200',
        'complete 8',
      ],
      finish: 'complete',
    });
  });

  it('handles many responses in one buffer', () => {
    const count = 500;
    const input = Buffer.from(ok200('Hello, World!').repeat(count), 'latin1');
    const result = run([input]);
    expect(result.events.filter((e) => e === 'complete 13')).toHaveLength(count);
    expect(result.finish).toBe('idle');
  });
});

describe('ResponseParser persistence and Keep-Alive', () => {
  // Each head gets `Content-Length: 3` and "abc" unless it brings its own framing in `rest`.
  const cases: Array<{ name: string; head: string[]; rest?: string[]; expected: Partial<ResponseHead> }> = [
    {
      name: 'HTTP/1.1 is persistent by default',
      head: ['HTTP/1.1 200 OK'],
      expected: { versionMinor: 1, keepAlive: true, connectionHeader: null, keepAliveHeader: null },
    },
    {
      name: 'HTTP/1.1 Connection: close',
      head: ['HTTP/1.1 200 OK', 'Connection: close'],
      expected: { keepAlive: false, keepAliveWithoutBody: false, connectionHeader: 'close' },
    },
    {
      name: 'HTTP/1.1 close among other tokens, any case',
      head: ['HTTP/1.1 200 OK', 'Connection: Upgrade ,\tCLOSE'],
      expected: { keepAlive: false, connectionHeader: 'Upgrade ,\tCLOSE' },
    },
    {
      name: 'HTTP/1.1 close in a second Connection line',
      head: ['HTTP/1.1 200 OK', 'Connection: keep-alive', 'Connection: close'],
      expected: { keepAlive: false, connectionHeader: 'keep-alive, close' },
    },
    {
      name: 'HTTP/1.1 close in an obs-fold continuation of Connection',
      head: ['HTTP/1.1 200 OK', 'Connection: keep-alive,', '  close'],
      expected: { keepAlive: false, connectionHeader: 'keep-alive, close' },
    },
    {
      name: 'HTTP/1.1 a token that only contains "close" is not close',
      head: ['HTTP/1.1 200 OK', 'Connection: closed, x-close'],
      expected: { keepAlive: true },
    },
    {
      name: 'HTTP/1.0 without keep-alive is not persistent',
      head: ['HTTP/1.0 200 OK'],
      expected: { versionMinor: 0, keepAlive: false, keepAliveWithoutBody: false },
    },
    {
      name: 'HTTP/1.0 with Connection: Keep-Alive is persistent',
      head: ['HTTP/1.0 200 OK', 'Connection: Keep-Alive', 'Keep-Alive: timeout=5, max=100'],
      expected: {
        keepAlive: true,
        connectionHeader: 'Keep-Alive',
        keepAliveHeader: 'timeout=5, max=100',
        keepAliveTimeoutS: 5,
        keepAliveMax: 100,
      },
    },
    {
      name: 'HTTP/1.0 keep-alive but close wins',
      head: ['HTTP/1.0 200 OK', 'Connection: keep-alive, close'],
      expected: { keepAlive: false },
    },
    {
      name: 'HTTP/1.0 with Transfer-Encoding is faulty framing: not reused (RFC 9112 6.1)',
      head: ['HTTP/1.0 200 OK', 'Connection: keep-alive', 'Transfer-Encoding: chunked'],
      rest: ['', '3', 'abc', '0', '', ''],
      expected: { keepAlive: false, bodyKind: 'chunked' },
    },
    {
      name: 'Keep-Alive with odd spacing and case',
      head: ['HTTP/1.1 200 OK', 'keep-alive:   Timeout = 7 ,MAX=3  '],
      expected: { keepAliveHeader: 'Timeout = 7 ,MAX=3', keepAliveTimeoutS: 7, keepAliveMax: 3 },
    },
    {
      name: 'Keep-Alive with quoted values and an unknown parameter',
      head: ['HTTP/1.1 200 OK', 'Keep-Alive: foo, max="12", timeout="2"'],
      expected: { keepAliveTimeoutS: 2, keepAliveMax: 12 },
    },
    {
      name: 'Keep-Alive with bad values gives null; the first valid one wins',
      head: ['HTTP/1.1 200 OK', 'Keep-Alive: timeout=abc, max=-1, timeout=4', 'Keep-Alive: max=9, max=10'],
      expected: { keepAliveHeader: 'timeout=abc, max=-1, timeout=4, max=9, max=10', keepAliveTimeoutS: 4, keepAliveMax: 9 },
    },
    {
      name: 'Keep-Alive with only one parameter',
      head: ['HTTP/1.1 200 OK', 'Keep-Alive: max=1'],
      expected: { keepAliveTimeoutS: null, keepAliveMax: 1 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const input = lines(...c.head, ...(c.rest ?? ['Content-Length: 3', '', 'abc']));
      checkEverySplit({
        name: c.name,
        input,
        events: ['begin', 'headers 200', 'complete 3'],
        heads: [c.expected],
        finish: 'idle',
      });
    });
  }

  it('reports Keep-Alive values as they change, also to a value of the same length', () => {
    const seen: Array<[string | null, number | null]> = [];
    const parser = new ResponseParser({
      onMessageBegin() {},
      onInformational() {},
      onHeaders: (head) => (seen.push([head.keepAliveHeader, head.keepAliveMax]), false),
      onMessageComplete() {},
    });
    const maxes = [100, 100, 101, 99, 5];
    for (const max of maxes) {
      const response = lines('HTTP/1.1 200 OK', `Keep-Alive: timeout=5, max=${max}`, 'Content-Length: 0', '', '');
      expect(parser.execute(Buffer.from(response))).toBe(null);
    }
    expect(seen).toEqual(maxes.map((max) => [`timeout=5, max=${max}`, max]));
  });
});
