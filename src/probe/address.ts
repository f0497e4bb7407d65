// Where the target is and what it takes to reach it: the name lookup, the TCP
// handshake and the TLS handshake. A target that cannot be reached ends the
// probe (exit 3): nothing else could be learnt.
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { RunError } from '../errors.js';
import { nowMs, showMs, type ProbeContext } from './target.js';
import type { ConnectCheck, DnsCheck, TlsCheck } from './types.js';
import { describeOpenError, openSocket } from './wire.js';

/** The addresses of `host`, timed; an IP literal is taken as given. Throws RunError when the name does not resolve. */
export async function checkDns(host: string, timeoutMs: number): Promise<DnsCheck> {
  const family = net.isIP(host);
  if (family !== 0) {
    return { verdict: 'n/a', evidence: 'address given', durationMs: 0, addresses: [{ address: host, family: family as 4 | 6 }], lookupMs: null };
  }
  const startMs = nowMs();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    const found = await Promise.race([lookup(host, { all: true }), timeout]);
    const lookupMs = nowMs() - startMs;
    const addresses = found.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
    const count = addresses.length === 1 ? '1 address' : `${addresses.length} addresses`;
    return { verdict: 'yes', evidence: `${count}, ${addresses[0]!.address} probed`, durationMs: lookupMs, addresses, lookupMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new RunError(`cannot resolve ${host}: ${code === 'ETIMEDOUT' ? `no answer within ${showMs(timeoutMs)}` : code}`, 'ENOTFOUND');
  } finally {
    clearTimeout(timer);
  }
}

/** One connection offering h2 and http/1.1: TCP connect time, and the TLS facts for https. Throws RunError when it fails. */
export async function checkConnect(ctx: ProbeContext): Promise<{ connect: ConnectCheck; tls: TlsCheck | null }> {
  const { target } = ctx;
  const startMs = nowMs();
  let opened;
  try {
    opened = await openSocket(ctx, ['h2', 'http/1.1'], startMs + ctx.timeoutMs);
  } catch (err) {
    const hint =
      target.tls !== null && /certificate|self.signed|verify/i.test((err as Error).message) ? ' (trust its CA with --ca, or skip the check with --insecure)' : '';
    throw new RunError(`cannot connect to ${target.address} port ${target.port}: ${describeOpenError(err)}${hint}`, 'ECONNECT');
  }
  opened.socket.destroy();
  const connect: ConnectCheck = {
    verdict: 'yes',
    evidence: `connected to ${target.address} port ${target.port}`,
    durationMs: opened.connectMs,
    address: target.address,
    port: target.port,
    connectMs: opened.connectMs,
  };
  if (opened.tls === null) return { connect, tls: null };
  const t = opened.tls;
  const tls: TlsCheck = {
    verdict: 'yes',
    evidence: [t.version, t.cipher, `ALPN ${t.alpn ?? 'none'}`, t.authorized ? 'certificate verified' : 'certificate NOT verified (--insecure)']
      .filter(Boolean)
      .join(', '),
    durationMs: opened.handshakeMs ?? 0,
    version: t.version,
    cipher: t.cipher,
    alpn: t.alpn,
    handshakeMs: opened.handshakeMs,
    authorized: t.authorized,
  };
  return { connect, tls };
}
