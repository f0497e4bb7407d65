// RFC 9113 frames read incrementally from socket chunks: any split of the byte
// stream gives the same frames. HEADERS and its CONTINUATIONs reach the handler
// as one header block. Errors are HTTP/2 error codes handed to the handler,
// never thrown: after a connection error the decoder reads nothing more.
import { COMPRESSION_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, PROTOCOL_ERROR } from './error-codes.js';
import { DEFAULT_MAX_FRAME_SIZE, Flag, FRAME_HEADER_BYTES, FrameType, MAX_FRAME_SIZE_LIMIT, MAX_WINDOW_BYTES, Setting, type SettingsValues } from './frames.js';

export interface FrameHandler {
  /** `data` is a view of the socket's bytes; `flowBytes` is the whole payload, padding included (6.9.1). */
  onData(streamId: number, data: Buffer, endStream: boolean, flowBytes: number): void;
  /** A complete header block (HEADERS + CONTINUATION), padding and priority fields removed. */
  onHeaders(streamId: number, block: Buffer, endStream: boolean): void;
  onRstStream(streamId: number, code: number): void;
  /** `settings` is null for an ACK. */
  onSettings(settings: SettingsValues | null): void;
  /** `payload` is the 8 opaque bytes (a view, valid during the call). */
  onPing(ack: boolean, payload: Buffer): void;
  onGoaway(lastStreamId: number, code: number, debug: Buffer): void;
  onWindowUpdate(streamId: number, increment: number): void;
  /** A stream error (RFC 9113 5.4.2): the stream is reset, the connection goes on. */
  onStreamError(streamId: number, code: number, reason: string): void;
  /** A connection error (5.4.1): the session must end with GOAWAY(code). */
  onConnectionError(code: number, reason: string): void;
}

/** The most a header block may grow to over CONTINUATION frames, against memory exhaustion (RFC 9113 10.5.1). */
const MAX_HEADER_BLOCK_BYTES = 1 << 20;

export class FrameDecoder {
  /** SETTINGS_MAX_FRAME_SIZE we announced: larger frames are a FRAME_SIZE_ERROR (4.2) */
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  /** push is off (we sent ENABLE_PUSH 0), so a PUSH_PROMISE is a PROTOCOL_ERROR (8.4) */
  pushEnabled = false;
  private pending: Buffer | null = null;
  private failed = false;
  /** a header block waiting for CONTINUATION: its stream, END_STREAM, and the fragments so far */
  private blockStream = 0;
  private blockEndStream = false;
  private blockParts: Buffer[] = [];
  private blockBytes = 0;

  constructor(private readonly handler: FrameHandler) {}

  get stopped(): boolean {
    return this.failed;
  }

  /** Reads nothing more (the session is closing). */
  stop(): void {
    this.failed = true;
    this.pending = null;
    this.blockParts = [];
  }

  /** Reads every complete frame in `pending + chunk`; keeps the rest for the next chunk. */
  push(chunk: Buffer): void {
    if (this.failed) return;
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let at = 0;
    while (!this.failed) {
      if (buf.length - at < FRAME_HEADER_BYTES) break;
      const length = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
      if (length > this.maxFrameSize) {
        this.fail(FRAME_SIZE_ERROR, `a frame of ${length} bytes, above SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}`);
        return;
      }
      const end = at + FRAME_HEADER_BYTES + length;
      if (end > buf.length) break;
      const type = buf[at + 3]!;
      const flags = buf[at + 4]!;
      const streamId = buf.readUInt32BE(at + 5) & 0x7fffffff;
      this.frame(type, flags, streamId, buf.subarray(at + FRAME_HEADER_BYTES, end));
      at = end;
    }
    // Copied: a cleartext socket reads into one buffer that the next read overwrites.
    if (!this.failed && at < buf.length) this.pending = Buffer.from(buf.subarray(at));
  }

  private fail(code: number, reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.pending = null;
    this.blockParts = [];
    this.handler.onConnectionError(code, reason);
  }

  private frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    // 6.10: once a header block has started, only its CONTINUATIONs may follow.
    if (this.blockStream !== 0 && (type !== FrameType.CONTINUATION || streamId !== this.blockStream)) {
      this.fail(PROTOCOL_ERROR, `a frame of type ${type} inside the header block of stream ${this.blockStream}`);
      return;
    }
    switch (type) {
      case FrameType.DATA:
        return this.data(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.headers(flags, streamId, payload);
      case FrameType.PRIORITY:
        if (streamId === 0) return this.fail(PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (payload.length !== 5) this.handler.onStreamError(streamId, FRAME_SIZE_ERROR, `PRIORITY of ${payload.length} bytes`);
        return; // 5.3.2: priority signals are read and ignored
      case FrameType.RST_STREAM:
        if (streamId === 0) return this.fail(PROTOCOL_ERROR, 'RST_STREAM on stream 0');
        if (payload.length !== 4) return this.fail(FRAME_SIZE_ERROR, `RST_STREAM of ${payload.length} bytes`);
        return this.handler.onRstStream(streamId, payload.readUInt32BE(0));
      case FrameType.SETTINGS:
        return this.settings(flags, streamId, payload);
      case FrameType.PUSH_PROMISE:
        return this.fail(PROTOCOL_ERROR, 'PUSH_PROMISE while push is disabled');
      case FrameType.PING:
        if (streamId !== 0) return this.fail(PROTOCOL_ERROR, `PING on stream ${streamId}`);
        if (payload.length !== 8) return this.fail(FRAME_SIZE_ERROR, `PING of ${payload.length} bytes`);
        return this.handler.onPing((flags & Flag.ACK) !== 0, payload);
      case FrameType.GOAWAY:
        if (streamId !== 0) return this.fail(PROTOCOL_ERROR, `GOAWAY on stream ${streamId}`);
        if (payload.length < 8) return this.fail(FRAME_SIZE_ERROR, `GOAWAY of ${payload.length} bytes`);
        return this.handler.onGoaway(payload.readUInt32BE(0) & 0x7fffffff, payload.readUInt32BE(4), payload.subarray(8));
      case FrameType.WINDOW_UPDATE:
        return this.windowUpdate(streamId, payload);
      case FrameType.CONTINUATION:
        return this.continuation(flags, streamId, payload);
      default:
        return; // 4.1: unknown frame types are ignored
    }
  }

  /** Strips padding (6.1, 6.2); null after a PROTOCOL_ERROR. */
  private unpad(flags: number, payload: Buffer, what: string): Buffer | null {
    if ((flags & Flag.PADDED) === 0) return payload;
    if (payload.length < 1) {
      this.fail(FRAME_SIZE_ERROR, `padded ${what} without its pad length`);
      return null;
    }
    const padBytes = payload[0]!;
    if (padBytes >= payload.length) {
      this.fail(PROTOCOL_ERROR, `${what} padding of ${padBytes} bytes in a payload of ${payload.length}`);
      return null;
    }
    return payload.subarray(1, payload.length - padBytes);
  }

  private data(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.fail(PROTOCOL_ERROR, 'DATA on stream 0');
    const data = this.unpad(flags, payload, 'DATA');
    if (data !== null) this.handler.onData(streamId, data, (flags & Flag.END_STREAM) !== 0, payload.length);
  }

  private headers(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.fail(PROTOCOL_ERROR, 'HEADERS on stream 0');
    let fragment = this.unpad(flags, payload, 'HEADERS');
    if (fragment === null) return;
    if (flags & Flag.PRIORITY) {
      // 6.2: stream dependency and weight, skipped
      if (fragment.length < 5) return this.fail(FRAME_SIZE_ERROR, 'HEADERS too short for its PRIORITY fields');
      fragment = fragment.subarray(5);
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) {
      this.handler.onHeaders(streamId, fragment, endStream);
      return;
    }
    this.blockStream = streamId;
    this.blockEndStream = endStream;
    // Copied: the chunk it points into may be the pending buffer that is concatenated again.
    this.blockParts = [Buffer.from(fragment)];
    this.blockBytes = fragment.length;
  }

  private continuation(flags: number, streamId: number, payload: Buffer): void {
    if (this.blockStream === 0) return this.fail(PROTOCOL_ERROR, `CONTINUATION on stream ${streamId} without HEADERS before it`);
    this.blockBytes += payload.length;
    if (this.blockBytes > MAX_HEADER_BLOCK_BYTES) return this.fail(COMPRESSION_ERROR, `a header block above ${MAX_HEADER_BLOCK_BYTES} bytes`);
    this.blockParts.push(Buffer.from(payload));
    if ((flags & Flag.END_HEADERS) === 0) return;
    const block = Buffer.concat(this.blockParts, this.blockBytes);
    const endStream = this.blockEndStream;
    this.blockStream = 0;
    this.blockParts = [];
    this.blockBytes = 0;
    this.handler.onHeaders(streamId, block, endStream);
  }

  private settings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) return this.fail(PROTOCOL_ERROR, `SETTINGS on stream ${streamId}`);
    if (flags & Flag.ACK) {
      if (payload.length !== 0) return this.fail(FRAME_SIZE_ERROR, `SETTINGS ACK with ${payload.length} bytes`);
      return this.handler.onSettings(null);
    }
    if (payload.length % 6 !== 0) return this.fail(FRAME_SIZE_ERROR, `SETTINGS of ${payload.length} bytes, not a multiple of 6`);
    const values: SettingsValues = {};
    for (let o = 0; o < payload.length; o += 6) {
      const id = payload.readUInt16BE(o);
      const value = payload.readUInt32BE(o + 2);
      switch (id) {
        case Setting.HEADER_TABLE_SIZE:
          values.headerTableSize = value;
          break;
        case Setting.ENABLE_PUSH:
          if (value > 1) return this.fail(PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${value}`);
          values.enablePush = value;
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          values.maxConcurrentStreams = value;
          break;
        case Setting.INITIAL_WINDOW_SIZE:
          if (value > MAX_WINDOW_BYTES) return this.fail(FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${value}`);
          values.initialWindowSize = value;
          break;
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_FRAME_SIZE_LIMIT) return this.fail(PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value}`);
          values.maxFrameSize = value;
          break;
        case Setting.MAX_HEADER_LIST_SIZE:
          values.maxHeaderListSize = value;
          break;
        default:
          // 6.5.2: unknown settings are ignored; kept only to be shown in the result
          (values.other ??= {})[id] = value;
          break;
      }
    }
    this.handler.onSettings(values);
  }

  private windowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) return this.fail(FRAME_SIZE_ERROR, `WINDOW_UPDATE of ${payload.length} bytes`);
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (increment === 0) {
      // 6.9: a zero increment is a stream error on a stream, a connection error on the connection
      if (streamId === 0) return this.fail(PROTOCOL_ERROR, 'WINDOW_UPDATE of 0 on the connection');
      return this.handler.onStreamError(streamId, PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
    }
    this.handler.onWindowUpdate(streamId, increment);
  }
}
