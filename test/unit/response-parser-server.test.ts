// The parser on real bytes from a node:http server on loopback: pipelined Content-Length, chunked and
// HEAD responses, read raw through `net` and fed as they arrive, then again byte by byte.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseParser } from '../../src/http1/response-parser.js';

let server: http.Server;
let port: number;

beforeEach(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/length') {
      res.setHeader('Content-Length', 11);
      res.end('hello world');
    } else {
      res.write('abc'); // no length: HTTP/1.1 responses are chunked
      res.write('defgh');
      res.end('!');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Sends the raw requests on one connection and returns every chunk received until the server closes. */
function exchange(requests: string): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(requests));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(chunks));
    socket.on('error', reject);
  });
}

function parseAll(chunks: Buffer[], noBody: boolean[]) {
  const events: string[] = [];
  const pending = [...noBody];
  const parser: ResponseParser = new ResponseParser({
    onMessageBegin() {},
    onInformational: (code) => events.push(`info ${code}`),
    onHeaders: (head) => {
      events.push(`${head.statusCode} ${head.bodyKind} keepAlive=${head.keepAlive} timeout=${head.keepAliveTimeoutS}`);
      return pending.shift() ?? false;
    },
    onMessageComplete: () => events.push(`complete ${parser.bodyBytes}`),
  });
  const results = chunks.map((chunk) => parser.execute(chunk));
  return { events, results, finish: parser.finish() };
}

describe('ResponseParser on a real node:http server', () => {
  it('parses pipelined Content-Length, chunked and HEAD responses', async () => {
    const request = (method: string, path: string, extra = ''): string => `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
    const chunks = await exchange(
      request('GET', '/length') + request('GET', '/chunked') + request('HEAD', '/length') + request('GET', '/chunked', 'Connection: close\r\n'),
    );
    const noBody = [false, false, true, false];
    const expected = [
      '200 length keepAlive=true timeout=5',
      'complete 11',
      '200 chunked keepAlive=true timeout=5',
      'complete 9',
      '200 length keepAlive=true timeout=5',
      'complete 0',
      '200 chunked keepAlive=false timeout=null',
      'complete 9',
    ];
    const live = parseAll(chunks, noBody);
    expect(live.results.every((r) => r === null)).toBe(true);
    expect(live.events).toEqual(expected);
    expect(live.finish).toBe('idle');

    const all = Buffer.concat(chunks);
    const byteByByte = parseAll(
      Array.from(all, (_, i) => all.subarray(i, i + 1)),
      noBody,
    );
    expect(byteByByte.events).toEqual(expected);
    expect(byteByByte.finish).toBe('idle');
  });
});
