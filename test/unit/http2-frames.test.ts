// RFC 9113 frames: every type written by the encoder reads back the same; any
// split of a stream of frames decodes to the same frames; malformed frames give
// the error code the RFC names, as a call, never an exception.
import { describe, expect, it } from 'vitest';
import { FrameDecoder, type FrameHandler } from '../../src/http2/frame-decoder.js';
import {
  Flag,
  FrameType,
  Setting,
  writeData,
  writeFrameHeader,
  writeGoaway,
  writeHeaders,
  writePing,
  writePriority,
  writeRstStream,
  writeSettings,
  writeWindowUpdate,
} from '../../src/http2/frames.js';
import { h2ErrorName } from '../../src/http2/error-codes.js';

/** Every call the decoder makes, as plain data. */
function recorder(): { events: unknown[]; handler: FrameHandler } {
  const events: unknown[] = [];
  const handler: FrameHandler = {
    onData: (id, data, end, flow) => events.push(['DATA', id, data.toString('latin1'), end, flow]),
    onHeaders: (id, block, end) => events.push(['HEADERS', id, block.toString('hex'), end]),
    onRstStream: (id, code) => events.push(['RST_STREAM', id, code]),
    onSettings: (s) => events.push(['SETTINGS', s]),
    onPing: (ack, payload) => events.push(['PING', ack, payload.toString('hex')]),
    onGoaway: (last, code, debug) => events.push(['GOAWAY', last, code, debug.toString('latin1')]),
    onWindowUpdate: (id, inc) => events.push(['WINDOW_UPDATE', id, inc]),
    onStreamError: (id, code) => events.push(['STREAM_ERROR', id, h2ErrorName(code)]),
    onConnectionError: (code) => events.push(['CONNECTION_ERROR', h2ErrorName(code)]),
  };
  return { events, handler };
}

function decode(bytes: Buffer, chunks: number[] = [bytes.length], maxFrameSize = 16384): unknown[] {
  const { events, handler } = recorder();
  const d = new FrameDecoder(handler);
  d.maxFrameSize = maxFrameSize;
  let at = 0;
  for (const n of chunks) {
    d.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at < bytes.length) d.push(bytes.subarray(at));
  return events;
}

function frames(write: (out: Buffer, offset: number) => number): Buffer {
  const out = Buffer.alloc(200_000);
  return out.subarray(0, write(out, 0));
}

const block = Buffer.from('82868441', 'hex');
const bigBlock = Buffer.alloc(40_000, 0xab);

/** One of every frame type, with the events it should give. */
const STREAM = frames((out, o) => {
  o = writeSettings(out, o, [
    [Setting.MAX_CONCURRENT_STREAMS, 100],
    [Setting.INITIAL_WINDOW_SIZE, 1 << 20],
    [0x99, 7],
  ]);
  o = writeSettings(out, o, null);
  o = writeHeaders(out, o, 1, block, false, 16384);
  o = writeData(out, o, 1, Buffer.from('hello'), 0, 5, true, 16384);
  o = writeHeaders(out, o, 3, bigBlock, true, 16384); // HEADERS + 2 CONTINUATION
  o = writePriority(out, o, 5, 3, 16);
  o = writeRstStream(out, o, 5, 8);
  o = writePing(out, o, false, 0x01020304, 0x05060708);
  o = writePing(out, o, true, 0, 42);
  o = writeWindowUpdate(out, o, 0, 1000);
  o = writeWindowUpdate(out, o, 3, 2000);
  o = writeFrameHeader(out, o, 3, 0xfa, 0, 0); // unknown type: ignored
  out.write('abc', o);
  o += 3;
  o = writeGoaway(out, o, 3, 0, Buffer.from('bye'));
  return o;
});

const EXPECTED = [
  // 6.5.2: an unknown setting is not acted on; it is kept apart, for the result to show.
  ['SETTINGS', { maxConcurrentStreams: 100, initialWindowSize: 1 << 20, other: { 0x99: 7 } }],
  ['SETTINGS', null],
  ['HEADERS', 1, '82868441', false],
  ['DATA', 1, 'hello', true, 5],
  ['HEADERS', 3, bigBlock.toString('hex'), true],
  ['RST_STREAM', 5, 8],
  ['PING', false, '0102030405060708'],
  ['PING', true, '000000000000002a'],
  ['WINDOW_UPDATE', 0, 1000],
  ['WINDOW_UPDATE', 3, 2000],
  ['GOAWAY', 3, 0, 'bye'],
];

describe('frame codec', () => {
  it('every frame type round-trips', () => {
    expect(decode(STREAM)).toEqual(EXPECTED);
  });

  it('any split of the stream decodes the same: every single cut, byte by byte, and random splits', () => {
    for (let cut = 1; cut < STREAM.length; cut += 7) expect(decode(STREAM, [cut])).toEqual(EXPECTED);
    expect(decode(STREAM, new Array<number>(STREAM.length).fill(1))).toEqual(EXPECTED);
    let seed = 7;
    for (let round = 0; round < 50; round++) {
      const chunks: number[] = [];
      for (let left = STREAM.length; left > 0;) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const n = Math.min(left, 1 + (seed % 3000));
        chunks.push(n);
        left -= n;
      }
      expect(decode(STREAM, chunks)).toEqual(EXPECTED);
    }
  });

  it('padding and the PRIORITY fields of HEADERS are removed', () => {
    const padded = frames((out, o) => {
      // HEADERS: PADDED + PRIORITY: pad length 2, 5 bytes of priority, block, 2 bytes of padding
      o = writeFrameHeader(out, o, 1 + 5 + block.length + 2, FrameType.HEADERS, Flag.PADDED | Flag.PRIORITY | Flag.END_HEADERS, 1);
      out[o++] = 2;
      o += 5;
      o += block.copy(out, o);
      o += 2;
      o = writeFrameHeader(out, o, 1 + 3 + 4, FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1);
      out[o++] = 4;
      o += out.write('abc', o);
      return o + 4;
    });
    expect(decode(padded)).toEqual([
      ['HEADERS', 1, '82868441', false],
      ['DATA', 1, 'abc', true, 8],
    ]);
  });
});

function raw(type: number, flags: number, streamId: number, payload: Buffer | string): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'hex') : payload;
  return frames((out, o) => {
    o = writeFrameHeader(out, o, p.length, type, flags, streamId);
    return o + p.copy(out, o);
  });
}

describe('malformed frames', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['a frame above SETTINGS_MAX_FRAME_SIZE', raw(FrameType.DATA, 0, 1, Buffer.alloc(16385)), 'FRAME_SIZE_ERROR'],
    ['DATA on stream 0', raw(FrameType.DATA, 0, 0, '00'), 'PROTOCOL_ERROR'],
    ['HEADERS on stream 0', raw(FrameType.HEADERS, Flag.END_HEADERS, 0, '82'), 'PROTOCOL_ERROR'],
    ['padding as long as the payload', raw(FrameType.DATA, Flag.PADDED, 1, '0300'), 'PROTOCOL_ERROR'],
    ['SETTINGS not a multiple of 6', raw(FrameType.SETTINGS, 0, 0, '0003000000'), 'FRAME_SIZE_ERROR'],
    ['SETTINGS ACK with a payload', raw(FrameType.SETTINGS, Flag.ACK, 0, '000300000064'), 'FRAME_SIZE_ERROR'],
    ['SETTINGS on a stream', raw(FrameType.SETTINGS, 0, 1, ''), 'PROTOCOL_ERROR'],
    ['SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1', raw(FrameType.SETTINGS, 0, 0, '000480000000'), 'FLOW_CONTROL_ERROR'],
    ['SETTINGS_MAX_FRAME_SIZE below 16384', raw(FrameType.SETTINGS, 0, 0, '000500000100'), 'PROTOCOL_ERROR'],
    ['SETTINGS_ENABLE_PUSH 2', raw(FrameType.SETTINGS, 0, 0, '000200000002'), 'PROTOCOL_ERROR'],
    ['PUSH_PROMISE while push is off', raw(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, '0000000282'), 'PROTOCOL_ERROR'],
    ['PING of 7 bytes', raw(FrameType.PING, 0, 0, '00000000000000'), 'FRAME_SIZE_ERROR'],
    ['PING on a stream', raw(FrameType.PING, 0, 1, '0000000000000000'), 'PROTOCOL_ERROR'],
    ['GOAWAY of 4 bytes', raw(FrameType.GOAWAY, 0, 0, '00000000'), 'FRAME_SIZE_ERROR'],
    ['GOAWAY on a stream', raw(FrameType.GOAWAY, 0, 1, '0000000000000000'), 'PROTOCOL_ERROR'],
    ['RST_STREAM on stream 0', raw(FrameType.RST_STREAM, 0, 0, '00000008'), 'PROTOCOL_ERROR'],
    ['RST_STREAM of 3 bytes', raw(FrameType.RST_STREAM, 0, 1, '000008'), 'FRAME_SIZE_ERROR'],
    ['WINDOW_UPDATE of 0 on the connection', raw(FrameType.WINDOW_UPDATE, 0, 0, '00000000'), 'PROTOCOL_ERROR'],
    ['WINDOW_UPDATE of 5 bytes', raw(FrameType.WINDOW_UPDATE, 0, 1, '0000000100'), 'FRAME_SIZE_ERROR'],
    ['PRIORITY on stream 0', raw(FrameType.PRIORITY, 0, 0, '0000000010'), 'PROTOCOL_ERROR'],
    ['CONTINUATION without HEADERS', raw(FrameType.CONTINUATION, Flag.END_HEADERS, 1, '82'), 'PROTOCOL_ERROR'],
    ['another frame inside a header block', Buffer.concat([raw(FrameType.HEADERS, 0, 1, '82'), raw(FrameType.PING, 0, 0, '0000000000000000')]), 'PROTOCOL_ERROR'],
    ['CONTINUATION on another stream', Buffer.concat([raw(FrameType.HEADERS, 0, 1, '82'), raw(FrameType.CONTINUATION, Flag.END_HEADERS, 3, '84')]), 'PROTOCOL_ERROR'],
  ];
  for (const [what, bytes, code] of cases) {
    it(`${what}: ${code}, and nothing read after it`, () => {
      const after = raw(FrameType.PING, 0, 0, '0000000000000001');
      const events = decode(Buffer.concat([bytes, after]), [1, 9]);
      expect(events).toEqual([['CONNECTION_ERROR', code]]);
    });
  }

  it('stream errors leave the connection going: WINDOW_UPDATE of 0 and PRIORITY of 4 bytes on a stream', () => {
    const bytes = Buffer.concat([
      raw(FrameType.WINDOW_UPDATE, 0, 1, '00000000'),
      raw(FrameType.PRIORITY, 0, 3, '00000000'),
      raw(FrameType.PING, 0, 0, '0000000000000001'),
    ]);
    expect(decode(bytes)).toEqual([
      ['STREAM_ERROR', 1, 'PROTOCOL_ERROR'],
      ['STREAM_ERROR', 3, 'FRAME_SIZE_ERROR'],
      ['PING', false, '0000000000000001'],
    ]);
  });

  it('a larger SETTINGS_MAX_FRAME_SIZE of ours admits larger frames', () => {
    expect(decode(raw(FrameType.DATA, 0, 1, Buffer.alloc(20000, 0x61)), [20009], 32768)).toEqual([['DATA', 1, 'a'.repeat(20000), false, 20000]]);
  });
});
