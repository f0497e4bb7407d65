// The built-in server's HTTP/2 (src/http2/server-session.ts) seen on the wire
// by a raw client writing frames: the stream limit it announces and enforces,
// request bodies dropped with their windows given back, responses held to the
// client's flow-control windows, and a malformed frame answered with GOAWAY.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { h2ErrorName } from '../../src/http2/error-codes.js';
import { FrameDecoder, type FrameHandler } from '../../src/http2/frame-decoder.js';
import { CLIENT_PREFACE, FrameType, Setting, writeData, writeFrameHeader, writeHeaders, writeSettings, writeWindowUpdate } from '../../src/http2/frames.js';
import { HpackDecoder } from '../../src/http2/hpack/decoder.js';
import { encodeStatelessBlock } from '../../src/http2/hpack/encoder.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';

const servers: RunningServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function bytes(write: (out: Buffer, offset: number) => number): Buffer {
  const out = Buffer.alloc(1 << 16);
  return Buffer.from(out.subarray(0, write(out, 0)));
}

/** Everything the server sent, as plain events; `status` from the response HEADERS. */
interface Wire {
  events: string[];
  dataBytes: Map<number, number>;
  ended: Set<number>;
  closed: Promise<void>;
  socket: net.Socket;
}

async function client(options: Partial<ServerOptions>, settings: Array<[number, number]> = []): Promise<Wire> {
  const server = await startServer({ h2c: true, ...options });
  servers.push(server);
  const socket = net.connect(server.port, '127.0.0.1');
  sockets.push(socket);
  const hpack = new HpackDecoder();
  const wire: Wire = { events: [], dataBytes: new Map(), ended: new Set(), closed: new Promise((r) => socket.once('close', () => r())), socket };
  const handler: FrameHandler = {
    onData: (id, data, end) => {
      wire.dataBytes.set(id, (wire.dataBytes.get(id) ?? 0) + data.length);
      if (end) wire.ended.add(id);
    },
    onHeaders: (id, block, end) => {
      hpack.decode(block, (n, v) => n.toString() === ':status' && wire.events.push(`HEADERS ${id} ${v.toString()}`));
      if (end) wire.ended.add(id);
    },
    onRstStream: (id, code) => wire.events.push(`RST_STREAM ${id} ${h2ErrorName(code)}`),
    onSettings: (s) => s !== null && wire.events.push(`SETTINGS ${JSON.stringify(s)}`),
    onPing: () => {},
    onGoaway: (last, code) => wire.events.push(`GOAWAY ${last} ${h2ErrorName(code)}`),
    onWindowUpdate: (id, inc) => wire.events.push(`WINDOW_UPDATE ${id} ${inc}`),
    onStreamError: () => {},
    onConnectionError: (code) => wire.events.push(`ERROR ${h2ErrorName(code)}`),
  };
  const decoder = new FrameDecoder(handler);
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  socket.on('error', () => {});
  socket.write(Buffer.concat([CLIENT_PREFACE, bytes((out, o) => writeSettings(out, o, settings))]));
  return wire;
}

function request(id: number, path: string, endStream: boolean, method = 'GET'): Buffer {
  const block = encodeStatelessBlock([
    [':method', method],
    [':scheme', 'http'],
    [':authority', 'localhost'],
    [':path', path],
  ]);
  return bytes((out, o) => writeHeaders(out, o, id, block, endStream, 16384));
}

describe('built-in server, HTTP/2 on the wire', () => {
  it('announces --max-streams and refuses a stream beyond it with REFUSED_STREAM', async () => {
    const w = await client({ maxConcurrentStreams: 2, latencyMs: 200 });
    w.socket.write(Buffer.concat([request(1, '/', true), request(3, '/', true), request(5, '/', true)]));
    await expect.poll(() => w.ended.size, { timeout: 10_000 }).toBe(2);
    expect(w.events[0]).toContain('"maxConcurrentStreams":2');
    expect(w.events).toContain('RST_STREAM 5 REFUSED_STREAM');
    expect(w.events).toContain('HEADERS 1 200');
    expect(w.events).toContain('HEADERS 3 200');
    expect([...w.ended].sort()).toEqual([1, 3]);
  });

  it('drops a request body and gives its window back, on the stream and the session', async () => {
    // The answer waits 200 ms, so the stream is open while its body comes (then an empty DATA ends it).
    const w = await client({ latencyMs: 200 });
    const body = Buffer.alloc(1000, 0x61);
    w.socket.write(
      Buffer.concat([
        request(1, '/', false, 'POST'),
        bytes((out, o) => writeData(out, o, 1, body, 0, body.length, false, 16384)),
        bytes((out, o) => writeData(out, o, 1, body, 0, 0, true, 16384)),
      ]),
    );
    await expect.poll(() => w.ended.has(1)).toBe(true);
    expect(w.events).toContain('WINDOW_UPDATE 0 1000');
    expect(w.events).toContain('WINDOW_UPDATE 1 1000');
    expect(w.events).toContain('HEADERS 1 200');
  });

  it("holds a response to the client's stream window until WINDOW_UPDATE opens it", async () => {
    const w = await client({}, [[Setting.INITIAL_WINDOW_SIZE, 100]]);
    w.socket.write(request(1, '/?size=300', true));
    await expect.poll(() => w.dataBytes.get(1)).toBe(100);
    expect(w.ended.has(1)).toBe(false);
    w.socket.write(bytes((out, o) => writeWindowUpdate(out, o, 1, 500)));
    await expect.poll(() => w.ended.has(1)).toBe(true);
    expect(w.dataBytes.get(1)).toBe(300);
  });

  it('a malformed frame is a connection error: GOAWAY(FRAME_SIZE_ERROR), then the connection closes', async () => {
    const w = await client({});
    w.socket.write(request(1, '/', true));
    await expect.poll(() => w.ended.has(1)).toBe(true);
    w.socket.write(
      bytes((out, o) => {
        o = writeFrameHeader(out, o, 3, FrameType.PING, 0, 0);
        return o + 3;
      }),
    );
    await w.closed;
    expect(w.events.at(-1)).toBe('GOAWAY 1 FRAME_SIZE_ERROR');
  });
});
