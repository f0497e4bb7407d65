// RFC 9113 section 4 and 6: frame types, flags, settings, and the encoder.
// Each write function fills `out` at `offset` and returns the end offset, so a
// burst of frames goes out as one Buffer with no per-frame garbage.

export const FRAME_HEADER_BYTES = 9;

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** RFC 9113 3.4: what a client sends first. */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const DEFAULT_MAX_FRAME_SIZE = 16384;
export const MAX_FRAME_SIZE_LIMIT = 0xffffff;
export const DEFAULT_WINDOW_BYTES = 65535;
export const MAX_WINDOW_BYTES = 0x7fffffff;

/** The settings a SETTINGS frame carried, in order (later ones win); unknown identifiers are dropped. */
export interface SettingsValues {
  headerTableSize?: number;
  enablePush?: number;
  maxConcurrentStreams?: number;
  initialWindowSize?: number;
  maxFrameSize?: number;
  maxHeaderListSize?: number;
  /** settings this codec does not act on (extensions: RFC 8441's 0x8, RFC 9218's 0x9...), by identifier */
  other?: Record<number, number>;
}

/** Names of the extension settings the result shows (by identifier); others show as hex. */
const EXTENSION_SETTING_NAMES: Record<number, string> = { 0x8: 'enableConnectProtocol', 0x9: 'noRfc7540Priorities' };

/** Settings as a name -> value record, for the result. */
export function settingsRecord(values: SettingsValues): Record<string, number> {
  const { other, ...known } = values;
  const out: Record<string, number> = { ...known };
  for (const [id, value] of Object.entries(other ?? {})) out[EXTENSION_SETTING_NAMES[Number(id)] ?? `0x${Number(id).toString(16)}`] = value;
  return out;
}

export function writeFrameHeader(out: Buffer, offset: number, length: number, type: number, flags: number, streamId: number): number {
  out[offset] = length >>> 16;
  out[offset + 1] = (length >>> 8) & 0xff;
  out[offset + 2] = length & 0xff;
  out[offset + 3] = type;
  out[offset + 4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, offset + 5);
  return offset + FRAME_HEADER_BYTES;
}

/** SETTINGS with `[identifier, value]` pairs, or an ACK when `entries` is null. */
export function writeSettings(out: Buffer, offset: number, entries: ReadonlyArray<readonly [number, number]> | null): number {
  const n = entries?.length ?? 0;
  let o = writeFrameHeader(out, offset, n * 6, FrameType.SETTINGS, entries === null ? Flag.ACK : 0, 0);
  for (const [id, value] of entries ?? []) {
    out.writeUInt16BE(id, o);
    out.writeUInt32BE(value, o + 2);
    o += 6;
  }
  return o;
}

export function settingsBytes(entries: ReadonlyArray<readonly [number, number]> | null): number {
  return FRAME_HEADER_BYTES + (entries?.length ?? 0) * 6;
}

/** PING with 8 bytes of opaque data from `data` (a 64-bit number as two 32-bit halves). */
export function writePing(out: Buffer, offset: number, ack: boolean, high: number, low: number): number {
  const o = writeFrameHeader(out, offset, 8, FrameType.PING, ack ? Flag.ACK : 0, 0);
  out.writeUInt32BE(high >>> 0, o);
  out.writeUInt32BE(low >>> 0, o + 4);
  return o + 8;
}

export function writePingPayload(out: Buffer, offset: number, ack: boolean, payload: Buffer): number {
  const o = writeFrameHeader(out, offset, 8, FrameType.PING, ack ? Flag.ACK : 0, 0);
  payload.copy(out, o, 0, 8);
  return o + 8;
}

export function writeWindowUpdate(out: Buffer, offset: number, streamId: number, increment: number): number {
  const o = writeFrameHeader(out, offset, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment & 0x7fffffff, o);
  return o + 4;
}

export function writeRstStream(out: Buffer, offset: number, streamId: number, code: number): number {
  const o = writeFrameHeader(out, offset, 4, FrameType.RST_STREAM, 0, streamId);
  out.writeUInt32BE(code >>> 0, o);
  return o + 4;
}

export function writeGoaway(out: Buffer, offset: number, lastStreamId: number, code: number, debug: Buffer | null = null): number {
  const debugBytes = debug?.length ?? 0;
  const o = writeFrameHeader(out, offset, 8 + debugBytes, FrameType.GOAWAY, 0, 0);
  out.writeUInt32BE(lastStreamId & 0x7fffffff, o);
  out.writeUInt32BE(code >>> 0, o + 4);
  if (debug !== null) debug.copy(out, o + 8);
  return o + 8 + debugBytes;
}

export function writePriority(out: Buffer, offset: number, streamId: number, dependsOn: number, weight: number): number {
  const o = writeFrameHeader(out, offset, 5, FrameType.PRIORITY, 0, streamId);
  out.writeUInt32BE(dependsOn & 0x7fffffff, o);
  out[o + 4] = weight - 1;
  return o + 5;
}

/** HEADERS, with CONTINUATION frames when the block is larger than `maxFrameSize`. */
export function writeHeaders(out: Buffer, offset: number, streamId: number, block: Buffer, endStream: boolean, maxFrameSize: number): number {
  const first = Math.min(block.length, maxFrameSize);
  let flags = endStream ? Flag.END_STREAM : 0;
  if (first === block.length) flags |= Flag.END_HEADERS;
  let o = writeFrameHeader(out, offset, first, FrameType.HEADERS, flags, streamId);
  o += block.copy(out, o, 0, first);
  let done = first;
  while (done < block.length) {
    const n = Math.min(block.length - done, maxFrameSize);
    const last = done + n === block.length;
    o = writeFrameHeader(out, o, n, FrameType.CONTINUATION, last ? Flag.END_HEADERS : 0, streamId);
    o += block.copy(out, o, done, done + n);
    done += n;
  }
  return o;
}

export function headersBytes(blockBytes: number, maxFrameSize: number): number {
  const frames = Math.max(1, Math.ceil(blockBytes / maxFrameSize));
  return frames * FRAME_HEADER_BYTES + blockBytes;
}

/** DATA frames for `data[start, end)`, split at `maxFrameSize`; END_STREAM on the last when asked. */
export function writeData(out: Buffer, offset: number, streamId: number, data: Buffer, start: number, end: number, endStream: boolean, maxFrameSize: number): number {
  let o = offset;
  let at = start;
  do {
    const n = Math.min(end - at, maxFrameSize);
    const last = at + n === end;
    o = writeFrameHeader(out, o, n, FrameType.DATA, last && endStream ? Flag.END_STREAM : 0, streamId);
    o += data.copy(out, o, at, at + n);
    at += n;
  } while (at < end);
  return o;
}

export function dataBytes(payloadBytes: number, maxFrameSize: number): number {
  return Math.max(1, Math.ceil(payloadBytes / maxFrameSize)) * FRAME_HEADER_BYTES + payloadBytes;
}
