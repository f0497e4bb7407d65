import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  countProcTimeWait,
  createTimeWaitSampler,
  isLocalAddress,
  parseNetstatTimeWait,
  procEndpointPatterns,
  shellTimesMs,
  ssFilter,
  ssFilters,
} from '../../src/metrics/timewait.js';

// Captured from this Linux host (kernel 6.x) after connections to a server on [::]:33517 (0x82ED):
// one over IPv4 (tcp), one over ::1 and one over ::ffff:127.0.0.1 (tcp6). Lines shortened after the inode.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 651 1 00000000b195dc5d 100 0 0 10 0
   1: 0100007F:8714 0100007F:82ED 06 00000000:00000000 03:0000175B 00000000     0        0 0 3 00000000712d30cf
   2: 0100007F:9744 0100007F:8CAB 06 00000000:00000000 03:0000050A 00000000     0        0 0 3 00000000e02e9e1a
   3: 0100007F:82ED 0100007F:E5E4 06 00000000:00000000 03:00000363 00000000     0        0 0 3 000000006986d601
   4: 0100007F:8716 0100007F:82ED 01 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000
10000: 0100007F:8718 0100007F:82ED 06 00000000:00000000 03:0000175B 00000000     0        0 0 3 00000000712d30cf
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:82ED 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 14514 1 00000000cb4caa00 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:871A 0000000000000000FFFF00000100007F:82ED 06 00000000:00000000 03:0000175B 00000000     0        0 0 3 0000000021757249
   2: 00000000000000000000000001000000:8206 00000000000000000000000001000000:82ED 06 00000000:00000000 03:0000175B 00000000     0        0 0 3 00000000883e4668
   3: 0000000000000000FFFF00000100007F:82ED 0000000000000000FFFF00000100007F:9000 06 00000000:00000000 03:0000175B 00000000     0        0 0 3 0000000021757249
`;

describe('procEndpointPatterns', () => {
  it('writes addresses as the kernel does: 32-bit words in host order, port as 4 hex digits', () => {
    const v4 = procEndpointPatterns('127.0.0.1', 0x82ed);
    expect(v4.tcp?.toString()).toBe('0100007F:82ED');
    expect(v4.tcp6.toString()).toBe('0000000000000000FFFF00000100007F:82ED');
    expect(procEndpointPatterns('::1', 80).tcp).toBeNull();
    expect(procEndpointPatterns('::1', 80).tcp6.toString()).toBe('00000000000000000000000001000000:0050');
    expect(procEndpointPatterns('10.1.2.3', 443).tcp?.toString()).toBe('0302010A:01BB');
    expect(procEndpointPatterns('fd00::1:2', 8080).tcp6.toString()).toBe('000000FD000000000000000002000100:1F90');
  });
});

describe('countProcTimeWait', () => {
  it('counts TIME_WAIT lines whose remote end is the target as client, local end as server', () => {
    const { tcp, tcp6 } = procEndpointPatterns('127.0.0.1', 0x82ed);
    // line 4 is ESTABLISHED; line 10000 has a wider sl field.
    expect(countProcTimeWait(Buffer.from(TCP), tcp!)).toEqual({ client: 2, server: 1 });
    expect(countProcTimeWait(Buffer.from(TCP6), tcp6)).toEqual({ client: 1, server: 1 });
    expect(countProcTimeWait(Buffer.from(TCP6), procEndpointPatterns('::1', 0x82ed).tcp6)).toEqual({ client: 1, server: 0 });
  });

  it('gives zeros for a table with only the header or nothing at all', () => {
    const { tcp } = procEndpointPatterns('127.0.0.1', 80);
    expect(countProcTimeWait(Buffer.from(TCP.split('\n')[0] + '\n'), tcp!)).toEqual({ client: 0, server: 0 });
    expect(countProcTimeWait(Buffer.alloc(0), tcp!)).toEqual({ client: 0, server: 0 });
  });

  it('stays correct over many lines (a buffer view with an offset)', () => {
    const line = '   1: 0100007F:8714 0100007F:82ED 06 00000000:00000000 03:0000175B 00000000     0        0 0 3 0\n';
    const text = TCP.split('\n')[0] + '\n' + line.repeat(30_000);
    const backing = Buffer.from('junk' + text);
    const view = backing.subarray(4);
    expect(countProcTimeWait(view, procEndpointPatterns('127.0.0.1', 0x82ed).tcp!).client).toBe(30_000);
  });
});

describe('createTimeWaitSampler with a procRoot', () => {
  let root = '';
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function procRoot(tcp: string, tcp6: string | null): Promise<string> {
    root = await mkdtemp(join(tmpdir(), 'cl-tw-'));
    await mkdir(join(root, 'net'));
    await writeFile(join(root, 'net/tcp'), tcp);
    if (tcp6 !== null) await writeFile(join(root, 'net/tcp6'), tcp6);
    return root;
  }

  it('adds tcp and tcp6 counts; server counts because 127.0.0.1 is local', async () => {
    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port: 0x82ed }, { procRoot: await procRoot(TCP, TCP6) });
    expect(sampler.supported).toBe(true);
    expect(sampler.source).toBe('proc');
    expect(await sampler.sample()).toEqual({ client: 3, server: 2 });
  });

  it('treats ::ffff:127.0.0.1 as 127.0.0.1 and 0.0.0.0 as loopback', async () => {
    const dir = await procRoot(TCP, TCP6);
    expect(await createTimeWaitSampler({ address: '::ffff:127.0.0.1', port: 0x82ed }, { procRoot: dir }).sample()).toEqual({ client: 3, server: 2 });
    expect(await createTimeWaitSampler({ address: '0.0.0.0', port: 0x82ed }, { procRoot: dir }).sample()).toEqual({ client: 3, server: 2 });
    expect(await createTimeWaitSampler({ address: '::', port: 0x82ed }, { procRoot: dir }).sample()).toEqual({ client: 1, server: 0 });
  });

  it('reads tcp alone when tcp6 is absent (IPv6 disabled)', async () => {
    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port: 0x82ed }, { procRoot: await procRoot(TCP, null) });
    expect(await sampler.sample()).toEqual({ client: 2, server: 1 });
  });

  it('grows its reused buffer for a table larger than 256 KiB', async () => {
    const line = '   1: 0100007F:8714 0100007F:82ED 06 00000000:00000000 03:0000175B 00000000     0        0 0 3 0\n';
    const big = TCP.split('\n')[0] + '\n' + line.repeat(20_000);
    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port: 0x82ed }, { procRoot: await procRoot(big, TCP6) });
    expect((await sampler.sample())?.client).toBe(20_001);
    expect((await sampler.sample())?.client).toBe(20_001);
  });

  it('gives null for a server-side count when the target is not on this host', async () => {
    const sampler = createTimeWaitSampler({ address: '192.0.2.1', port: 0x82ed }, { procRoot: await procRoot(TCP, TCP6) });
    expect(await sampler.sample()).toEqual({ client: 0, server: null });
  });

  it('is unsupported (null, never zero) when there is no net/tcp to read', async () => {
    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port: 80 }, { procRoot: '/nonexistent-proc' });
    expect(sampler.supported).toBe(false);
    expect(sampler.source).toBeNull();
    expect(await sampler.sample()).toBeNull();
  });

  it('gives null when the table disappears between samples', async () => {
    const dir = await procRoot(TCP, TCP6);
    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port: 0x82ed }, { procRoot: dir });
    await rm(join(dir, 'net/tcp'));
    expect(await sampler.sample()).toBeNull();
  });

  it('shares one read between overlapping sample() calls', async () => {
    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port: 0x82ed }, { procRoot: await procRoot(TCP, TCP6) });
    const [a, b] = [sampler.sample(), sampler.sample()];
    expect(a).toBe(b);
    expect(await a).toEqual({ client: 3, server: 2 });
  });

  it('rejects a host name: the caller passes the resolved address', () => {
    expect(() => createTimeWaitSampler({ address: 'localhost', port: 80 })).toThrow(/not an IP literal/);
  });
});

describe('isLocalAddress', () => {
  it("knows loopback and this host's interface addresses, not others", () => {
    expect(isLocalAddress('127.0.0.1')).toBe(true);
    expect(isLocalAddress('127.3.4.5')).toBe(true);
    expect(isLocalAddress('::1')).toBe(true);
    expect(isLocalAddress('0:0:0:0:0:0:0:1')).toBe(true);
    expect(isLocalAddress('192.0.2.1')).toBe(false);
  });
});

// macOS `netstat -anW -p tcp` format (header and LISTEN rows as macOS prints them;
// the TIME_WAIT rows were written for this test: this host is Linux).
const NETSTAT = `Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
tcp4       0      0  127.0.0.1.52341        127.0.0.1.8080         TIME_WAIT
tcp4       0      0  127.0.0.1.52342        127.0.0.1.8080         TIME_WAIT
tcp4       0      0  127.0.0.1.52343        127.0.0.1.8080         ESTABLISHED
tcp4       0      0  127.0.0.1.8080         127.0.0.1.52344        TIME_WAIT
tcp4       0      0  127.0.0.1.52345        127.0.0.1.9090         TIME_WAIT
tcp6       0      0  ::1.52346              ::1.8080               TIME_WAIT
tcp6       0      0  ::ffff:127.0.0.1.52347 ::ffff:127.0.0.1.8080  TIME_WAIT
tcp6       0      0  fe80::1%lo0.52348      fe80::1%lo0.8080       TIME_WAIT
tcp46      0      0  *.8080                 *.*                    LISTEN
tcp4       0      0  127.0.0.1.631          *.*                    LISTEN
tcp6       0      0  ::1.631                *.*                    LISTEN
udp4       0      0  *.5353                 *.*
`;

describe('parseNetstatTimeWait', () => {
  it('counts client and server TIME_WAIT rows for an IPv4 target, mapped addresses included', () => {
    expect(parseNetstatTimeWait(NETSTAT, { address: '127.0.0.1', port: 8080 })).toEqual({ client: 3, server: 1 });
  });

  it('matches IPv6 targets whatever their spelling, scope ids dropped', () => {
    expect(parseNetstatTimeWait(NETSTAT, { address: '0:0::1', port: 8080 })).toEqual({ client: 1, server: 0 });
    expect(parseNetstatTimeWait(NETSTAT, { address: 'fe80::1', port: 8080 })).toEqual({ client: 1, server: 0 });
  });

  it('gives zeros for text without rows', () => {
    expect(parseNetstatTimeWait('', { address: '127.0.0.1', port: 8080 })).toEqual({ client: 0, server: 0 });
  });
});

describe('ssFilters', () => {
  it('names the target by address and port: as the remote end for the client side, the local end for the server side', () => {
    expect(ssFilters('127.0.0.1', 8080)).toEqual({ client: 'dst 127.0.0.1 and dport = :8080', server: 'src 127.0.0.1 and sport = :8080' });
  });

  it('writes IPv6 in brackets and without a scope id, as ss takes it', () => {
    expect(ssFilters('::1', 443).client).toBe('dst [::1] and dport = :443');
    expect(ssFilters('fe80::1%lo', 443).server).toBe('src [fe80::1] and sport = :443');
  });
});

describe('ssFilter', () => {
  it('asks for the client side alone when the target is elsewhere, for either side when it is on this host', () => {
    expect(ssFilter('10.0.0.5', 80, false)).toBe('dst 10.0.0.5 and dport = :80');
    expect(ssFilter('::1', 443, true)).toBe('( dst [::1] and dport = :443 ) or ( src [::1] and sport = :443 )');
  });
});

describe('shellTimesMs', () => {
  it("reads the children's line of POSIX `times` (dash and bash spellings) as ms of CPU, user plus system", () => {
    expect(shellTimesMs('0m1.250000s 0m0.310000s')).toBeCloseTo(1560, 6);
    expect(shellTimesMs('0m0.004s 0m0.000s')).toBeCloseTo(4, 6);
    expect(shellTimesMs('2m0.5s 1m0s')).toBeCloseTo(180_500, 6);
  });

  it('gives null for anything else', () => {
    for (const line of ['', '0m1s', 'real 0m1.2s', '0m1.2s 0m0.3s extra']) expect(shellTimesMs(line)).toBeNull();
  });
});
