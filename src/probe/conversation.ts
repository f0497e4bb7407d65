// Requests written as raw bytes on one opened socket, responses parsed as they
// arrive (ResponseParser), and how the connection ended: server FIN, server RST,
// or bytes that do not parse. Every wait has a deadline.
import type net from 'node:net';
import { ResponseParser, type ParserEvents, type ResponseHead } from '../http1/response-parser.js';
import { nowMs } from './target.js';

export interface ResponseSummary {
  statusCode: number;
  versionMinor: 0 | 1;
  keepAlive: boolean;
  connectionHeader: string | null;
  keepAliveHeader: string | null;
  keepAliveMax: number | null;
  keepAliveTimeoutS: number | null;
  bodyBytes: number;
  /** this response's bytes as received (latin1), when the conversation captures */
  text: string;
  completedMs: number;
}

export interface Ending {
  /** 'fin': the server closed its side; 'rst': ECONNRESET; 'error': another socket error; 'parse-error': bytes that are no response */
  kind: 'fin' | 'rst' | 'error' | 'parse-error';
  atMs: number;
  /** error code or parse failure reason */
  detail: string | null;
  /** the close cut a response short */
  truncated: boolean;
}

/** Byte-by-byte parsing (to know which bytes belong to which response) stops after this much. */
const CAPTURE_LIMIT_BYTES = 64 * 1024;

export class Conversation implements ParserEvents {
  readonly responses: ResponseSummary[] = [];
  ending: Ending | null = null;
  private readonly parser = new ResponseParser(this);
  /** per request sent: its response has no body (HEAD) */
  private readonly headOnly: boolean[] = [];
  private current: Omit<ResponseSummary, 'text' | 'completedMs'> | null = null;
  private currentText: string | null = null;
  private capturedBytes = 0;
  private wake: (() => void) | null = null;
  private closedByUs = false;

  constructor(
    readonly socket: net.Socket,
    private readonly capture = false,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.end(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'rst' : 'error', err.code ?? err.message, !this.parser.idle);
    });
    socket.on('close', () => {
      if (!this.closedByUs) this.end('fin', null, !this.parser.idle);
    });
  }

  /** Writes one request; `headOnly` says its response has no body (HEAD). */
  send(bytes: Buffer, headOnly = false): void {
    this.headOnly.push(headOnly);
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Writes requests back to back in one write (pipelined, 4.6). */
  sendAll(requests: Array<{ bytes: Buffer; headOnly: boolean }>): void {
    for (const r of requests) this.headOnly.push(r.headOnly);
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(requests.map((r) => r.bytes)));
  }

  /** Sends our FIN (half-close): we still read. */
  halfClose(): void {
    this.socket.end();
  }

  /** Until `count` responses are complete: true, or false when the connection ended, the deadline passed or Ctrl-C came. */
  waitResponses(count: number, untilMs: number, signal: AbortSignal): Promise<boolean> {
    return this.waitUntil(() => this.responses.length >= count || this.ending !== null, untilMs, signal).then(() => this.responses.length >= count);
  }

  /** Until the connection ends: its ending, or null at the deadline or on Ctrl-C. */
  async waitEnd(untilMs: number, signal: AbortSignal): Promise<Ending | null> {
    await this.waitUntil(() => this.ending !== null, untilMs, signal);
    return this.ending;
  }

  /** Closes from our side; what happens after is not the server's doing. */
  close(): void {
    this.closedByUs = true;
    this.socket.destroy();
  }

  onMessageBegin(): void {
    if (this.capture) this.currentText = '';
  }

  onInformational(): void {}

  onHeaders(head: ResponseHead): boolean {
    this.current = {
      statusCode: head.statusCode,
      versionMinor: head.versionMinor,
      keepAlive: head.keepAlive,
      connectionHeader: head.connectionHeader,
      keepAliveHeader: head.keepAliveHeader,
      keepAliveMax: head.keepAliveMax,
      keepAliveTimeoutS: head.keepAliveTimeoutS,
      bodyBytes: 0,
    };
    const headOnly = this.headOnly[this.responses.length] ?? false;
    // A response to HEAD has no body whatever its headers say, so its framing cannot end the connection.
    if (headOnly) this.current.keepAlive = head.keepAliveWithoutBody;
    return headOnly;
  }

  onMessageComplete(): void {
    if (this.current === null) return;
    this.responses.push({ ...this.current, bodyBytes: this.parser.bodyBytes, text: this.currentText ?? '', completedMs: nowMs() });
    this.current = null;
    this.currentText = null;
    this.wake?.();
  }

  private onData(chunk: Buffer): void {
    if (this.ending !== null) return;
    let from = 0;
    if (this.capture) {
      // Fed a byte at a time so that each byte is known to belong to the response in progress.
      const capturedEnd = Math.min(chunk.length, CAPTURE_LIMIT_BYTES - this.capturedBytes);
      for (; from < capturedEnd; from++) {
        const byte = chunk.subarray(from, from + 1);
        const inMessage = this.currentText !== null;
        // Appended before parsing when it continues a response (it may complete it), after when it begins one.
        if (inMessage) this.currentText += byte.toString('latin1');
        if (this.parser.execute(byte) !== null) return this.parseFailed();
        if (!inMessage && this.currentText !== null) this.currentText += byte.toString('latin1');
      }
      this.capturedBytes += capturedEnd;
    }
    if (from < chunk.length && this.parser.execute(from === 0 ? chunk : chunk.subarray(from)) !== null) this.parseFailed();
  }

  private onEnd(): void {
    const finished = this.parser.finish();
    this.end('fin', null, finished === 'truncated');
  }

  private parseFailed(): void {
    this.end('parse-error', this.parser.errorReason, true);
    this.socket.destroy();
  }

  private end(kind: Ending['kind'], detail: string | null, truncated: boolean): void {
    if (this.ending !== null) return;
    this.ending = { kind, atMs: nowMs(), detail, truncated };
    this.wake?.();
  }

  private async waitUntil(done: () => boolean, untilMs: number, signal: AbortSignal): Promise<void> {
    while (!done() && !signal.aborted) {
      const leftMs = untilMs - nowMs();
      if (leftMs <= 0) return;
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', stop);
          this.wake = null;
          resolve();
        };
        const timer = setTimeout(stop, leftMs);
        signal.addEventListener('abort', stop, { once: true });
        this.wake = stop;
      });
    }
  }
}
