// The probe's conversation on a real loopback socket: responses split across
// reads are told apart byte-exactly, HEAD answers have no body, and the way the
// server ends the connection (FIN, RST, garbage) is recorded.
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Conversation } from '../../src/probe/conversation.js';
import { nowMs } from '../../src/probe/target.js';

const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** A server that runs `script` on its first connection; resolves to a client socket connected to it. */
async function connectTo(script: (socket: Socket) => void): Promise<Socket> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    script(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  closers.push(() => client.destroy());
  await new Promise((resolve) => client.once('connect', resolve));
  return client;
}

const signal = new AbortController().signal;
const soon = () => nowMs() + 5000;

describe('Conversation', () => {
  it("captures each response's own bytes when pipelined answers arrive in odd pieces", async () => {
    const first = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst';
    const second = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nsec\r\n3\r\nond\r\n0\r\n\r\n';
    const third = 'HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n';
    const all = Buffer.from(first + second + third, 'latin1');
    const client = await connectTo((socket) => {
      // Cut in places that split heads, bodies and chunk lines, a few ms apart so that they arrive as separate reads.
      const cuts = [3, 40, 41, 60, 90, all.length];
      let from = 0;
      const next = (i: number) => {
        if (i === cuts.length || socket.destroyed) return;
        socket.write(all.subarray(from, cuts[i]));
        from = cuts[i]!;
        setTimeout(() => next(i + 1), 5);
      };
      next(0);
    });
    const conversation = new Conversation(client, true);
    conversation.sendAll([
      { bytes: Buffer.from('GET / HTTP/1.1\r\n\r\n'), headOnly: false },
      { bytes: Buffer.from('GET / HTTP/1.1\r\n\r\n'), headOnly: false },
      { bytes: Buffer.from('HEAD / HTTP/1.1\r\n\r\n'), headOnly: true },
    ]);
    expect(await conversation.waitResponses(3, soon(), signal)).toBe(true);
    expect(conversation.responses.map((r) => r.text)).toEqual([first, second, third]);
    expect(conversation.responses.map((r) => r.bodyBytes)).toEqual([5, 6, 0]);
    expect(conversation.ending).toBeNull();
    conversation.close();
  });

  it('tells a FIN after a keep-alive response from a RST', async () => {
    const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const fin = new Conversation(await connectTo((s) => s.once('data', () => s.end(ok))));
    fin.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(await fin.waitEnd(soon(), signal)).toMatchObject({ kind: 'fin', truncated: false });
    expect(fin.responses).toHaveLength(1);

    const rst = new Conversation(
      await connectTo((s) =>
        s.once('data', () => {
          s.write(ok);
          setTimeout(() => s.resetAndDestroy(), 50);
        }),
      ),
    );
    rst.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(await rst.waitEnd(soon(), signal)).toMatchObject({ kind: 'rst', detail: 'ECONNRESET' });
    expect(rst.responses).toHaveLength(1);
  });

  it('records a close in the middle of a body as truncated, and bytes that are no response as a parse error', async () => {
    const cut = new Conversation(await connectTo((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))));
    cut.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(await cut.waitResponses(1, soon(), signal)).toBe(false);
    expect(cut.ending).toMatchObject({ kind: 'fin', truncated: true });

    const garbage = new Conversation(await connectTo((s) => s.once('data', () => s.write('SSH-2.0-OpenSSH\r\n\r\n'))), true);
    garbage.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(await garbage.waitResponses(1, soon(), signal)).toBe(false);
    expect(garbage.ending?.kind).toBe('parse-error');
  });

  it('gives up at the deadline without an ending', async () => {
    const silent = new Conversation(await connectTo(() => {}));
    silent.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(await silent.waitResponses(1, nowMs() + 50, signal)).toBe(false);
    expect(silent.ending).toBeNull();
    silent.close();
  });
});
