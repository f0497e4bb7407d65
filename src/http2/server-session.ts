// The server side of an HTTP/2 connection on connload's own frame codec and
// HPACK, for the built-in target server: it reads the client preface, announces
// its SETTINGS, hands each request stream to its owner at HEADERS (a request
// body is read and dropped, its windows given back), and writes responses
// within the client's flow-control windows. It never reads a header into a JS
// string unless asked: :method and :path, and the other fields only for paths
// that echo them.
import type { Socket } from 'node:net';
import { FrameDecoder, type FrameHandler } from './frame-decoder.js';
import {
  CLIENT_PREFACE,
  dataBytes,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW_BYTES,
  FRAME_HEADER_BYTES,
  headersBytes,
  MAX_WINDOW_BYTES,
  Setting,
  settingsBytes,
  writeData,
  writeGoaway,
  writeHeaders,
  writePingPayload,
  writeRstStream,
  writeSettings,
  writeWindowUpdate,
  type SettingsValues,
} from './frames.js';
import { FrameWriter } from './frame-writer.js';
import { FLOW_CONTROL_ERROR, NO_ERROR, PROTOCOL_ERROR, REFUSED_STREAM, STREAM_CLOSED, COMPRESSION_ERROR } from './error-codes.js';
import { HpackDecoder } from './hpack/decoder.js';
import { encodeStatelessBlock } from './hpack/encoder.js';

export interface ServerRequest {
  method: string;
  path: string;
  /** the regular fields as "name: value" pairs, when `wantsFields(path)` said so; else empty */
  fields: Array<[string, string]>;
  /** END_STREAM came with the HEADERS (no body) */
  complete: boolean;
}

export interface ServerSessionOwner {
  /** A new request stream (at its HEADERS). */
  onStream(session: Http2ServerSession, streamId: number, request: ServerRequest): void;
  /** A stream ended before its response did (RST_STREAM from the client, or the session went). */
  onStreamGone(session: Http2ServerSession, streamId: number): void;
  /** Whether the fields of a request for `path` are wanted as strings (e.g. to echo them). */
  wantsFields(path: string): boolean;
}

// Request bodies are dropped: windows as large as allowed, so a client never waits on us.
const RECEIVE_WINDOW_BYTES = MAX_WINDOW_BYTES;
const PATH = Buffer.from(':path');
const METHOD = Buffer.from(':method');

interface Pending {
  body: Buffer;
  sent: number;
  endStream: boolean;
}

export class Http2ServerSession implements FrameHandler {
  private readonly decoder: FrameDecoder;
  private readonly hpack = new HpackDecoder();
  private readonly out: FrameWriter;
  /** streams the owner has, by id */
  readonly streams = new Set<number>();
  /** responses waiting for the client's windows */
  private readonly pending = new Map<number, Pending>();
  private preface = 0;
  private highestStreamId = 0;
  private sendWindow = DEFAULT_WINDOW_BYTES;
  private streamWindows = new Map<number, number>();
  private peerInitialWindow = DEFAULT_WINDOW_BYTES;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private goawaySent = false;
  private closed = false;
  // the request being decoded
  private method = '';
  private path = '';
  private fields: Array<[string, string]> | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly owner: ServerSessionOwner,
    maxConcurrentStreams: number,
    /** called once the session may close (after a GOAWAY, with no stream left) */
    private readonly onDrained: () => void,
  ) {
    this.decoder = new FrameDecoder(this);
    this.out = new FrameWriter(
      {
        get open() {
          return !socket.destroyed;
        },
        write: (b) => socket.write(b),
      },
      noop,
    );
    const settings: Array<[number, number]> = [
      [Setting.MAX_CONCURRENT_STREAMS, maxConcurrentStreams],
      [Setting.INITIAL_WINDOW_SIZE, RECEIVE_WINDOW_BYTES],
    ];
    const buf = this.out.room(settingsBytes(settings) + FRAME_HEADER_BYTES + 4);
    let o = writeSettings(buf, this.out.pos, settings);
    o = writeWindowUpdate(buf, o, 0, RECEIVE_WINDOW_BYTES - DEFAULT_WINDOW_BYTES);
    this.out.pos = o;
    this.out.flush();
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
  }

  get lastStreamId(): number {
    return this.highestStreamId;
  }

  private onBytes(chunk: Buffer): void {
    if (this.preface < CLIENT_PREFACE.length) {
      const n = Math.min(CLIENT_PREFACE.length - this.preface, chunk.length);
      if (chunk.compare(CLIENT_PREFACE, this.preface, this.preface + n, 0, n) !== 0) {
        this.connectionError(PROTOCOL_ERROR);
        return;
      }
      this.preface += n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length > 0) this.decoder.push(chunk);
    this.out.flush();
  }

  // --- responses --------------------------------------------------------------

  /** HEADERS (`:status` and `fields`), then `body` in DATA as the windows allow; END_STREAM at the end. */
  respond(streamId: number, status: number, fields: ReadonlyArray<readonly [string, string]>, body: Buffer | null): void {
    if (!this.streams.has(streamId) || this.closed) return;
    const block = responseBlock(status, fields);
    const endWithHeaders = body === null;
    const buf = this.out.room(headersBytes(block.length, this.peerMaxFrameSize));
    this.out.pos = writeHeaders(buf, this.out.pos, streamId, block, endWithHeaders, this.peerMaxFrameSize);
    if (body !== null) {
      this.pending.set(streamId, { body, sent: 0, endStream: true });
      this.sendPending(streamId);
    } else this.finished(streamId);
    this.out.flushSoon();
  }

  /** RST_STREAM with `code`. */
  reset(streamId: number, code: number): void {
    if (!this.streams.has(streamId) || this.closed) return;
    const buf = this.out.room(FRAME_HEADER_BYTES + 4);
    this.out.pos = writeRstStream(buf, this.out.pos, streamId, code);
    this.finished(streamId);
    this.out.flushSoon();
  }

  /** RFC 9113 6.8: no new streams; the session ends once the streams up to the last one are answered. */
  goaway(): void {
    if (this.goawaySent || this.closed) return;
    this.goawaySent = true;
    const buf = this.out.room(FRAME_HEADER_BYTES + 8);
    this.out.pos = writeGoaway(buf, this.out.pos, this.highestStreamId, NO_ERROR);
    this.out.flush();
    if (this.streams.size === 0) this.onDrained();
  }

  /** The session is gone (socket closed): streams still open end with it. */
  closeAll(): void {
    if (this.closed) return;
    this.closed = true;
    this.decoder.stop();
    for (const id of [...this.streams]) {
      this.streams.delete(id);
      this.owner.onStreamGone(this, id);
    }
    this.pending.clear();
  }

  private sendPending(streamId: number): void {
    const p = this.pending.get(streamId);
    if (p === undefined) return;
    const window = this.streamWindows.get(streamId) ?? this.peerInitialWindow;
    const n = Math.min(p.body.length - p.sent, window, this.sendWindow);
    if (n > 0 || p.body.length === 0) {
      const end = p.sent + n;
      const last = end === p.body.length;
      const buf = this.out.room(dataBytes(n, this.peerMaxFrameSize));
      this.out.pos = writeData(buf, this.out.pos, streamId, p.body, p.sent, end, last && p.endStream, this.peerMaxFrameSize);
      p.sent = end;
      this.sendWindow -= n;
      this.streamWindows.set(streamId, window - n);
    }
    if (p.sent === p.body.length) {
      this.pending.delete(streamId);
      this.finished(streamId);
    }
  }

  private finished(streamId: number): void {
    this.streams.delete(streamId);
    this.streamWindows.delete(streamId);
    this.pending.delete(streamId);
    if (this.goawaySent && this.streams.size === 0) {
      this.out.flush();
      this.onDrained();
    }
  }

  private connectionError(code: number): void {
    if (this.closed) return;
    this.decoder.stop();
    const buf = this.out.room(FRAME_HEADER_BYTES + 8);
    this.out.pos = writeGoaway(buf, this.out.pos, this.highestStreamId, code);
    this.out.flush();
    this.closeAll();
    this.socket.end();
    this.socket.destroySoon();
  }

  // --- FrameHandler -----------------------------------------------------------

  onHeaders(streamId: number, block: Buffer, endStream: boolean): void {
    this.method = '';
    this.path = '';
    this.fields = null;
    const problem = this.hpack.decode(block, this.onField);
    if (problem !== null) return this.connectionError(COMPRESSION_ERROR);
    if (streamId <= this.highestStreamId) {
      // Trailers of a request (its body is dropped), or a stream already ended.
      if (!this.streams.has(streamId) && !this.pending.has(streamId) && !endStream) this.connectionError(STREAM_CLOSED);
      return;
    }
    if (streamId % 2 === 0) return this.connectionError(PROTOCOL_ERROR);
    this.highestStreamId = streamId;
    if (this.goawaySent) return; // 6.8: streams after our GOAWAY are not processed
    this.streams.add(streamId);
    const request: ServerRequest = { method: this.method, path: this.path || '/', fields: this.fields ?? [], complete: endStream };
    this.owner.onStream(this, streamId, request);
  }

  /** Refuses a stream beyond the limit the session announced. */
  refuse(streamId: number): void {
    this.reset(streamId, REFUSED_STREAM);
  }

  private readonly onField = (name: Buffer, value: Buffer): void => {
    if (name[0] === 0x3a) {
      if (name.equals(PATH)) {
        this.path = value.toString('latin1');
        if (this.owner.wantsFields(this.path)) this.fields = [];
      } else if (name.equals(METHOD)) this.method = value.toString('latin1');
      return;
    }
    this.fields?.push([name.toString('latin1'), value.toString('latin1')]);
  };

  onData(streamId: number, _data: Buffer, _endStream: boolean, flowBytes: number): void {
    if (streamId > this.highestStreamId) return this.connectionError(PROTOCOL_ERROR);
    if (flowBytes === 0) return;
    // The body is dropped: both windows are given back at once.
    const buf = this.out.room((FRAME_HEADER_BYTES + 4) * 2);
    let o = writeWindowUpdate(buf, this.out.pos, 0, flowBytes);
    if (this.streams.has(streamId)) o = writeWindowUpdate(buf, o, streamId, flowBytes);
    this.out.pos = o;
  }

  onRstStream(streamId: number): void {
    if (!this.streams.has(streamId)) return;
    this.streams.delete(streamId);
    this.pending.delete(streamId);
    this.streamWindows.delete(streamId);
    this.owner.onStreamGone(this, streamId);
    if (this.goawaySent && this.streams.size === 0) this.onDrained();
  }

  onSettings(settings: SettingsValues | null): void {
    if (settings === null) return;
    if (settings.maxFrameSize !== undefined) this.peerMaxFrameSize = settings.maxFrameSize;
    if (settings.headerTableSize !== undefined) {
      // Our encoder uses no dynamic table, so any size the client allows is fine.
    }
    if (settings.initialWindowSize !== undefined) {
      const delta = settings.initialWindowSize - this.peerInitialWindow;
      this.peerInitialWindow = settings.initialWindowSize;
      for (const [id, w] of this.streamWindows) this.streamWindows.set(id, w + delta);
    }
    const buf = this.out.room(FRAME_HEADER_BYTES);
    this.out.pos = writeSettings(buf, this.out.pos, null);
    for (const id of [...this.pending.keys()]) this.sendPending(id);
  }

  onPing(ack: boolean, payload: Buffer): void {
    if (ack) return;
    const buf = this.out.room(FRAME_HEADER_BYTES + 8);
    this.out.pos = writePingPayload(buf, this.out.pos, true, payload);
  }

  onGoaway(): void {
    // The client is done: it closes the connection once it has what it waits for.
  }

  onWindowUpdate(streamId: number, increment: number): void {
    if (streamId === 0) {
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW_BYTES) return this.connectionError(FLOW_CONTROL_ERROR);
      for (const id of [...this.pending.keys()]) {
        if (this.sendWindow <= 0) break;
        this.sendPending(id);
      }
      return;
    }
    if (!this.streams.has(streamId)) return;
    this.streamWindows.set(streamId, (this.streamWindows.get(streamId) ?? this.peerInitialWindow) + increment);
    this.sendPending(streamId);
  }

  onStreamError(streamId: number, code: number): void {
    this.reset(streamId, code);
  }

  onConnectionError(code: number): void {
    this.connectionError(code);
  }
}

function noop(): void {}

/** Response header blocks by status and fields: a handful per server, encoded once each. */
const blocks = new Map<string, Buffer>();

function responseBlock(status: number, fields: ReadonlyArray<readonly [string, string]>): Buffer {
  let key = String(status);
  for (const [n, v] of fields) key += `\0${n}\0${v}`;
  let block = blocks.get(key);
  if (block === undefined) {
    block = encodeStatelessBlock([[':status', String(status)], ...fields]);
    if (blocks.size < 1024) blocks.set(key, block);
  }
  return block;
}
