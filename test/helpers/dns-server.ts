// A DNS server on loopback for the tests, asked only through connload's --dns-server:
// it answers A and AAAA queries for the names it is given (under the reserved .test
// domain) and NXDOMAIN for any other; answers can change during a test (--dns-refresh).
import dgram from 'node:dgram';
import net from 'node:net';

export interface TestDnsServer {
  /** "127.0.0.1:PORT", for --dns-server */
  address: string;
  /** the addresses each name resolves to now; change them at will */
  records: Map<string, string[]>;
  /** queries received, by "name type" (e.g. "svc.test A") */
  queries: string[];
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

export async function startDnsServer(records: Record<string, string[]>): Promise<TestDnsServer> {
  const table = new Map(Object.entries(records));
  const queries: string[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, from) => {
    const question = readQuestion(msg);
    if (question === null) return;
    queries.push(`${question.name} ${question.type === TYPE_A ? 'A' : question.type === TYPE_AAAA ? 'AAAA' : question.type}`);
    const known = table.get(question.name.toLowerCase());
    const family = question.type === TYPE_A ? 4 : question.type === TYPE_AAAA ? 6 : 0;
    const answers = known === undefined ? [] : known.filter((a) => net.isIP(a) === family);
    socket.send(reply(msg, question.end, known === undefined ? 3 : 0, question.type, answers), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    records: table,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function readQuestion(msg: Buffer): { name: string; type: number; end: number } | null {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let at = 12;
  while (at < msg.length && msg[at]! !== 0) {
    const len = msg[at]!;
    labels.push(msg.toString('latin1', at + 1, at + 1 + len));
    at += 1 + len;
  }
  if (at + 5 > msg.length) return null;
  return { name: labels.join('.'), type: msg.readUInt16BE(at + 1), end: at + 5 };
}

function reply(query: Buffer, questionEnd: number, rcode: number, type: number, addresses: string[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  header.writeUInt16BE(0x8180 | rcode, 2); // response, recursion desired and available
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((address) => {
    const rdata = type === TYPE_A ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the name of the question
    rr.writeUInt16BE(type, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(1, 6); // TTL 1 s
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
