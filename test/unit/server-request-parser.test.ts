import { describe, expect, it } from 'vitest';
import { Http1RequestParser, type Http1Request, type RequestParseError } from '../../src/server/request-parser.js';

function parse(chunks: string[]): { requests: Http1Request[]; errors: RequestParseError[]; parser: Http1RequestParser } {
  const requests: Http1Request[] = [];
  const errors: RequestParseError[] = [];
  const parser = new Http1RequestParser(
    (r) => requests.push(r),
    (e) => errors.push(e),
  );
  for (const chunk of chunks) parser.push(Buffer.from(chunk, 'latin1'));
  return { requests, errors, parser };
}

describe('Http1RequestParser', () => {
  it('parses a request line and headers', () => {
    const { requests, errors } = parse(['GET /a?size=3 HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Upgrade\r\n\r\n']);
    expect(errors).toEqual([]);
    expect(requests).toEqual([
      {
        method: 'GET',
        target: '/a?size=3',
        minorVersion: 1,
        headerLines: ['Host: x', 'Connection: Keep-Alive, Upgrade'],
        connectionClose: false,
        connectionKeepAlive: true,
      },
    ]);
  });

  it('reads HTTP/1.0 and the close token', () => {
    const { requests } = parse(['HEAD / HTTP/1.0\r\nconnection: close\r\n\r\n']);
    expect(requests[0]).toMatchObject({ method: 'HEAD', minorVersion: 0, connectionClose: true, connectionKeepAlive: false });
  });

  it('finds every pipelined request in one chunk, in order', () => {
    const { requests } = parse(['GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n']);
    expect(requests.map((r) => r.target)).toEqual(['/1', '/2', '/3']);
  });

  it('joins a request split across chunks at any byte', () => {
    const text = 'POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      const { requests, errors } = parse([text.slice(0, cut), text.slice(cut)]);
      expect(errors).toEqual([]);
      expect(requests.map((r) => r.target)).toEqual(['/p', '/next']);
    }
  });

  it('skips Content-Length bodies and reports a request only once its body is in', () => {
    const { requests, parser } = parse(['POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345']);
    expect(requests).toHaveLength(0);
    expect(parser.midRequest).toBe(true);
    parser.push(Buffer.from('67890'));
    expect(requests).toHaveLength(1);
    expect(parser.midRequest).toBe(false);
  });

  it('skips chunked bodies with extensions and trailers, byte by byte too', () => {
    const text = 'POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nGET /after HTTP/1.1\r\n\r\n';
    expect(parse([text]).requests.map((r) => r.target)).toEqual(['/c', '/after']);
    expect(parse([...text]).requests.map((r) => r.target)).toEqual(['/c', '/after']);
  });

  it('ignores empty lines before a request line', () => {
    expect(parse(['\r\n\r\nGET / HTTP/1.1\r\n\r\n']).requests).toHaveLength(1);
  });

  it.each([
    ['GET /\r\n\r\n', 400],
    ['GET / HTTP/1.1 extra\r\n\r\n', 400],
    ['G(T / HTTP/1.1\r\n\r\n', 400],
    ['GET / HTTP/2.0\r\n\r\n', 505],
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505],
    ['GET / HTTP/1.1\r\nNo colon\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
  ])('answers %j with %i and stops', (text, status) => {
    const { requests, errors, parser } = parse([text, 'GET / HTTP/1.1\r\n\r\n']);
    expect(requests).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.status).toBe(status);
    expect(parser.midRequest).toBe(false);
  });

  it('refuses a head larger than 64 KiB with 431', () => {
    const { errors } = parse([`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(70_000)}`]);
    expect(errors.map((e) => e.status)).toEqual([431]);
  });

  it('reads nothing more after stop()', () => {
    const requests: string[] = [];
    const parser = new Http1RequestParser(
      (r) => {
        requests.push(r.target);
        parser.stop();
      },
      () => {},
    );
    parser.push(Buffer.from('GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n'));
    expect(requests).toEqual(['/1']);
  });
});
