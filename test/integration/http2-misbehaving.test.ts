// multiplex against raw HTTP/2 servers that break the protocol on purpose,
// written as frame bytes: each break is counted by its HTTP/2 error code, the
// session ends with our GOAWAY naming that code, and the run goes on over a new
// session. Runs are bounded by request count.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { h2ErrorName } from '../../src/http2/error-codes.js';
import { FrameDecoder, type FrameHandler } from '../../src/http2/frame-decoder.js';
import {
  CLIENT_PREFACE,
  Flag,
  FrameType,
  Setting,
  writeData,
  writeFrameHeader,
  writeHeaders,
  writePing,
  writePingPayload,
  writeSettings,
  writeWindowUpdate,
} from '../../src/http2/frames.js';
import { runJson } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

interface RequestContext {
  /** 0 for the first connection accepted */
  connection: number;
  /** 0 for the first request on this connection */
  request: number;
  streamId: number;
}

interface H2ServerOptions {
  /** SETTINGS of the server on each connection */
  settings?: (connection: number) => Array<[number, number]>;
  /** bytes sent instead of the ordinary answer, or null for the ordinary answer */
  misbehave?: (ctx: RequestContext) => Buffer | null;
  /** the server gives back request-body windows as it reads DATA (default: never) */
  windowUpdates?: boolean;
  /** the server never acknowledges the client's SETTINGS */
  noSettingsAck?: boolean;
}

interface H2Server {
  url: string;
  connections: number;
  requests: number;
  /** error codes of the GOAWAY frames the client sent */
  goaways: string[];
  /** request body bytes received */
  bodyBytes: number;
  close(): Promise<void>;
}

const servers: H2Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Frames written by `write` into a fresh buffer. */
function bytes(write: (out: Buffer, offset: number) => number): Buffer {
  const out = Buffer.alloc(1 << 20);
  return Buffer.from(out.subarray(0, write(out, 0)));
}

/** HEADERS `:status: 200` (static index 8); with `end`, DATA "ok" ends the stream. */
function answer(streamId: number, end: boolean): Buffer {
  return bytes((out, o) => {
    o = writeHeaders(out, o, streamId, Buffer.from([0x88]), false, 16384);
    if (end) o = writeData(out, o, streamId, Buffer.from('ok'), 0, 2, true, 16384);
    return o;
  });
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  return bytes((out, o) => {
    o = writeFrameHeader(out, o, payload.length, type, flags, streamId);
    return o + payload.copy(out, o);
  });
}

async function h2Server(options: H2ServerOptions = {}): Promise<H2Server> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const connection = state.connections++;
    let request = 0;
    let preface = Buffer.alloc(0);
    const respond = (streamId: number): void => {
      state.requests++;
      const odd = options.misbehave?.({ connection, request: request++, streamId }) ?? null;
      socket.write(odd ?? answer(streamId, true));
    };
    const handler: FrameHandler = {
      onData: (id, data, end) => {
        state.bodyBytes += data.length;
        if (options.windowUpdates && data.length > 0) {
          socket.write(bytes((out, o) => writeWindowUpdate(out, writeWindowUpdate(out, o, 0, data.length), id, data.length)));
        }
        if (end) respond(id);
      },
      onHeaders: (id, _block, end) => end && respond(id),
      onRstStream: () => {},
      onSettings: (s) => s !== null && !options.noSettingsAck && socket.write(bytes((out, o) => writeSettings(out, o, null))),
      onPing: (ack, payload) => !ack && socket.write(bytes((out, o) => writePingPayload(out, o, true, payload))),
      onGoaway: (_last, code) => state.goaways.push(h2ErrorName(code)),
      onWindowUpdate: () => {},
      onStreamError: () => {},
      onConnectionError: () => socket.destroy(),
    };
    const decoder = new FrameDecoder(handler);
    socket.on('data', (chunk: Buffer) => {
      if (preface.length < CLIENT_PREFACE.length) {
        preface = Buffer.concat([preface, chunk]);
        if (preface.length < CLIENT_PREFACE.length) return;
        chunk = preface.subarray(CLIENT_PREFACE.length);
      }
      decoder.push(chunk);
    });
    socket.write(bytes((out, o) => writeSettings(out, o, options.settings?.(connection) ?? [[Setting.MAX_CONCURRENT_STREAMS, 100]])));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const state: H2Server = {
    url: `http://127.0.0.1:${port}`,
    connections: 0,
    requests: 0,
    goaways: [],
    bodyBytes: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(state);
  return state;
}

/** The fifth request on the first connection gets `bad` after its response HEADERS (so it has begun). */
const onFifthOfFirst =
  (bad: (streamId: number) => Buffer) =>
  (ctx: RequestContext): Buffer | null =>
    ctx.connection === 0 && ctx.request === 4 ? Buffer.concat([answer(ctx.streamId, false), bad(ctx.streamId)]) : null;

const BREAKS: Array<[string, (streamId: number) => Buffer, string]> = [
  ['a malformed frame (PING of 7 bytes)', () => frame(FrameType.PING, 0, 0, Buffer.alloc(7)), 'FRAME_SIZE_ERROR'],
  [
    'trailers that fail HPACK decoding (index 70 of an empty table)',
    (id) => frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, Buffer.from([0xc6])),
    'COMPRESSION_ERROR',
  ],
  ['DATA on a stream that has ended', () => frame(FrameType.DATA, 0, 1, Buffer.from('late')), 'STREAM_CLOSED'],
  ['DATA on a stream never opened', () => frame(FrameType.DATA, 0, 1001, Buffer.from('who')), 'PROTOCOL_ERROR'],
  [
    'a PING flood',
    () =>
      bytes((out, o) => {
        for (let i = 0; i < 5000; i++) o = writePing(out, o, false, 0, i);
        return o;
      }),
    'ENHANCE_YOUR_CALM',
  ],
];

describe('multiplex against servers that break HTTP/2', () => {
  for (const [what, bad, code] of BREAKS) {
    it(`${what}: counted as H2_${code}, GOAWAY(${code}) sent, and the run goes on`, async () => {
      const s = await h2Server({ misbehave: onFifthOfFirst(bad) });
      const { code: exit, result } = await runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '1', '--streams', '4', '-n', '40']);
      expect(exit).toBe(0);
      assertValidResult(result);
      const p = result.phases[0];
      // The broken stream had begun, so it fails; the others in flight had not and are sent again.
      expect(p.errors).toEqual({ [`H2_${code}`]: 1 });
      expect(p.requests.completed).toBe(39);
      expect(p.requests.errors).toBe(1);
      expect(p.connections.opened).toBe(2);
      expect(s.connections).toBe(2);
      expect(s.goaways[0]).toBe(code);
    });
  }

  it('a window that never opens: the POST waits, --timeout ends the session, the run goes on with a new one', async () => {
    const s = await h2Server({
      settings: (connection) => (connection === 0 ? [[Setting.INITIAL_WINDOW_SIZE, 0]] : [[Setting.MAX_CONCURRENT_STREAMS, 100]]),
    });
    const { code, result } = await runJson([
      'run',
      `${s.url}/`,
      '-s',
      'multiplex',
      '-c',
      '1',
      '--streams',
      '2',
      '-n',
      '20',
      '-m',
      'POST',
      '--body',
      'hello',
      '--timeout',
      '1s',
    ]);
    expect(code).toBe(0);
    const p = result.phases[0];
    // Two POSTs were stuck behind the closed window; not idempotent, so they fail rather than go again.
    expect(p.errors).toEqual({ timeout: 2 });
    expect(p.requests.completed).toBe(18);
    expect(p.connections.closedByTimeout).toBe(1);
    expect(s.connections).toBe(2);
    // The first session's requests never reached their END_STREAM: the server answered only the second's.
    expect(s.requests).toBe(18);
  });

  it('a stingy window: 5,000-byte bodies go out in 1,000-byte windows, opened as the server reads', async () => {
    const s = await h2Server({ settings: () => [[Setting.INITIAL_WINDOW_SIZE, 1000]], windowUpdates: true });
    const body = path.join(await mkdtemp(path.join(os.tmpdir(), 'connload-h2-body-')), 'body');
    await writeFile(body, 'x'.repeat(5000));
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '1', '--streams', '4', '-n', '20', '-m', 'POST', '--body-file', body]);
    await rm(path.dirname(body), { recursive: true, force: true });
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(20);
    expect(p.requests.errors).toBe(0);
    expect(s.bodyBytes).toBe(20 * 5000);
    expect(s.connections).toBe(1);
  });

  it('a server that never ACKs SETTINGS: SETTINGS_TIMEOUT after --timeout, GOAWAY sent, the run goes on over new sessions', async () => {
    const s = await h2Server({ noSettingsAck: true });
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '1', '--streams', '2', '--rate', '50', '-d', '3s', '--timeout', '1s']);
    expect(code).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    expect(s.goaways[0]).toBe('SETTINGS_TIMEOUT');
    expect(p.connections.opened).toBeGreaterThanOrEqual(2);
    expect(s.connections).toBe(p.connections.opened);
    // Requests whose answer had begun fail by the code; the rest were sent again.
    for (const code of Object.keys(p.errors)) expect(code).toBe('H2_SETTINGS_TIMEOUT');
    expect(p.requests.completed + p.requests.errors + p.requests.dropped).toBeGreaterThanOrEqual(140);
  });

  it('REFUSED_STREAM: the stream is sent again, and counted by code', async () => {
    const s = await h2Server({
      misbehave: (ctx) => (ctx.connection === 0 && ctx.request === 2 ? frame(FrameType.RST_STREAM, 0, ctx.streamId, Buffer.from([0, 0, 0, 7])) : null),
    });
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '1', '--streams', '2', '-n', '20']);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(20);
    expect(p.requests.errors).toBe(0);
    expect(p.http2!.resetStreams).toEqual({ REFUSED_STREAM: 1 });
    expect(s.requests).toBe(21);
    expect(s.connections).toBe(1);
  });
});
