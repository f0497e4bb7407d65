// Header injection: a header that could end the head early, start a second request or change the
// framing is refused before anything is sent (exit 2, one line per header, the name shown and the
// value never). A raw server records every byte it gets: it must get none.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { okResponse, rawServer, type RawServer } from '../helpers/raw-server.js';

const SECRET = 'S3cr3tT0k3n';

/** Accepts connections and keeps every byte it is sent. */
async function recordingServer(): Promise<{ url: string; bytes: () => Buffer; connections: () => number; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    bytes: () => Buffer.concat(chunks),
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let recorder: Awaited<ReturnType<typeof recordingServer>>;
let dir: string;

beforeAll(async () => {
  recorder = await recordingServer();
  dir = await mkdtemp(join(tmpdir(), 'connload-hostile-headers-'));
});
afterAll(async () => {
  await recorder?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function expectRefused(r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^connload: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stderr + r.stdout).not.toContain(SECRET);
}

describe('header injection on the command line', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a CRLF and a second header in a value', ['-H', `X-A: a\r\nInjected: ${SECRET}`], /--header "X-A": the value has a CR/],
    ['a Host value holding a second request', ['-H', `Host: x\r\n\r\nGET /smuggled?${SECRET} HTTP/1.1\r\nHost: x`], /--header "Host": the value has a CR/],
    ['a bare LF in a value', ['-H', `X-B: a\nInjected: ${SECRET}`], /--header "X-B": the value has an LF/],
    // argv cannot hold a NUL (the scenario cases below send one); other controls are refused the same way
    ['a control character in a value', ['-H', `X-C: ${SECRET}\x01`], /--header "X-C": the value has a control character \(0x01\)/],
    ['a code point that latin1 turns into CR', ['-H', `X-D: ${SECRET}\u010d\u010aInjected: 1`], /--header "X-D": the value has a character above U\+00FF/],
    ['a space in a name', ['-H', `X Bad: ${SECRET}`], /--header "X Bad": expected a name of .*RFC 9110 token/],
    ['a colon-less Authorization', ['-H', `Authorization Bearer ${SECRET}`], /--header #1: expected "Name: value"/],
    ['a Transfer-Encoding', ['-H', 'Transfer-Encoding: chunked'], /--header "Transfer-Encoding": not allowed/],
    [
      'a Content-Length that is not the body length',
      ['-m', 'POST', '--body', 'abc', '-H', 'Content-Length: 30'],
      /--header "Content-Length": expected the body's length, 3/,
    ],
    ['two Host headers', ['-H', 'Host: a', '-H', 'Host: b'], /"host": given 2 times/],
    ['a CRLF in a page path', ['--page', `/a\r\nX: ${'y'}`], /--page: expected paths starting with "\/" of visible ASCII/],
  ];
  it.each(cases)('%s: exit 2, nothing sent', async (_name, args, pattern) => {
    const before = recorder.connections();
    const r = await runCli(['run', recorder.url, '-n', '1', '-c', '1', '--quiet', ...args]);
    expectRefused(r, pattern);
    expect(recorder.connections()).toBe(before);
    expect(recorder.bytes().length).toBe(0);
  });

  it('every bad header is named at once, one line each', async () => {
    const r = await runCli(['run', recorder.url, '-n', '1', '--quiet', '-H', `X-A: a\r\nB: ${SECRET}`, '-H', `Bad Name: ${SECRET}`, '-H', `Token ${SECRET}`]);
    expectRefused(r, /invalid options:\n {2}--header "X-A".*\n {2}--header "Bad Name".*\n {2}--header #3/);
    expect(recorder.connections()).toBe(0);
  });
});

describe('header injection in a scenario', () => {
  it.each([
    ['CR in a name', { 'X\rY': 'v' }, /phases\[0\]\.headers "X\\rY": expected a name/],
    ['LF in a name', { 'X\nInjected': 'v' }, /phases\[0\]\.headers "X\\nInjected": expected a name/],
    ['NUL in a name', { 'X\0': 'v' }, /phases\[0\]\.headers "X\\u0000": expected a name/],
    ['a space in a name', { 'X Y': 'v' }, /phases\[0\]\.headers "X Y": expected a name/],
    ['CRLF in a value', { 'X-Z': `a\r\nInjected: ${SECRET}` }, /phases\[0\]\.headers "X-Z": the value has a CR/],
    ['NUL in a value', { 'X-N': `${SECRET}\0` }, /phases\[0\]\.headers "X-N": the value has a NUL/],
  ])('%s: exit 2, nothing sent', async (_name, headers, pattern) => {
    const file = join(dir, `scenario-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(
      file,
      JSON.stringify({ name: 'hostile', target: recorder.url, phases: [{ name: 'p', strategy: 'persistent', requests: 1, connections: 1, headers }] }),
    );
    const r = await runCli(['run', file, '--quiet']);
    expectRefused(r, pattern);
    expect(recorder.connections()).toBe(0);
    expect(recorder.bytes().length).toBe(0);
  });
});

describe('valid headers still go out as given', () => {
  let server: RawServer;
  const received: string[][] = [];
  beforeAll(async () => {
    server = await rawServer((_socket, ctx) =>
      ctx.onRequest((request) => {
        received.push(request.headerLines);
        ctx.answer(okResponse());
      }),
    );
  });
  afterAll(() => server?.close());

  it('a token name and a value with tabs, spaces and Latin-1 are sent in one request', async () => {
    const r = await runCli(['run', `${server.url}/`, '-n', '1', '-c', '1', '--quiet', '-H', 'X-Ok!#: a\tb c\u00e9', '-H', `Authorization: Bearer ${SECRET}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.stats.requests).toBe(1);
    expect(received[0]).toContain('X-Ok!#: a\tb c\u00e9');
    expect(received[0]).toContain(`Authorization: Bearer ${SECRET}`);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});
