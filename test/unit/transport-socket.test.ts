// How the transport times a connection: `connect` starts when the kernel gets the connect call
// (Node issues it on the next tick for an address), not when the code that opened the socket ran.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportSocket, type SocketEnd, type SocketUser } from '../../src/transport/socket.js';
import { nowUs } from '../../src/transport/timing.js';

let server: net.Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function listening(): Promise<number> {
  server = net.createServer((s) => s.on('data', () => {}).on('error', () => {}));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

class Recording implements SocketUser {
  readyAtUs = 0;
  closed: SocketEnd | null = null;
  constructor(
    private readonly log: string[],
    private readonly name: string,
  ) {}
  onSocketReady(): void {
    this.readyAtUs = nowUs();
    this.log.push(`ready ${this.name}`);
  }
  onSocketData(): void {}
  onSocketEnd(): void {}
  onSocketClosed(end: SocketEnd): void {
    this.closed = end;
  }
}

describe('TransportSocket timing', () => {
  it('times connect from the connect call, after the code that opened 20 sockets has returned', async () => {
    const port = await listening();
    const log: string[] = [];
    const users = Array.from({ length: 20 }, (_, i) => new Recording(log, String(i)));
    const sockets = users.map((u) => new TransportSocket(u, { host: '127.0.0.1', port, tls: null }, { nodelay: true, alpn: [], localAddress: undefined }));
    const openedAllUs = nowUs();
    await new Promise<void>((resolve) => {
      const check = (): void => (users.every((u) => u.readyAtUs > 0) ? resolve() : void setTimeout(check, 5));
      check();
    });
    for (const s of sockets) {
      expect(s.timing.startUs).toBeGreaterThanOrEqual(openedAllUs);
      expect(s.timing.connectEndUs).toBeGreaterThan(s.timing.startUs);
      expect(s.timing.lookupEndUs).toBe(0);
    }
    expect(log).toHaveLength(20);
    for (const s of sockets) s.destroy('stopped');
  });
});
