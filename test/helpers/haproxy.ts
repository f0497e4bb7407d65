// haproxy from Debian as a real load balancer in front of `connload serve` backends, with
// its admin socket for adding a backend during a run (a scale-out).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, stopChild, waitForListener } from './listen.js';

export const HAPROXY_BIN = '/usr/sbin/haproxy';

export function haproxyAvailable(): boolean {
  return existsSync(HAPROXY_BIN);
}

export interface Haproxy {
  port: number;
  url: string;
  /** Adds and enables a backend server during the run (the admin socket's `add server`). */
  addServer(name: string, port: number): Promise<void>;
  stop(): Promise<void>;
}

/** Round-robin over `backends` (name -> port on 127.0.0.1). `http`: each request is balanced (keep-alive on
 *  both sides); `tcp`: each connection goes to one backend for its life (a layer-4 balancer). */
export async function startHaproxy(backends: Record<string, number>, mode: 'http' | 'tcp' = 'http'): Promise<Haproxy> {
  const dir = await mkdtemp(path.join(tmpdir(), 'connload-haproxy-'));
  const port = await freePort();
  const admin = path.join(dir, 'admin.sock');
  const conf = [
    'global',
    `  stats socket ${admin} mode 600 level admin`,
    'defaults',
    `  mode ${mode}`,
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...Object.entries(backends).map(([name, p]) => `  server ${name} 127.0.0.1:${p}`),
  ].join('\n');
  await writeFile(path.join(dir, 'haproxy.cfg'), `${conf}\n`);
  const child: ChildProcess = spawn(HAPROXY_BIN, ['-f', path.join(dir, 'haproxy.cfg'), '-db'], { stdio: 'ignore' });
  await waitForListener(port, child, 'haproxy');
  const command = (line: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = net.connect(admin, () => s.write(`${line}\n`));
      let out = '';
      s.on('data', (d) => (out += d.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async addServer(name, serverPort) {
      const added = await command(`add server be/${name} 127.0.0.1:${serverPort}`);
      if (!/New server registered/.test(added)) throw new Error(`haproxy: add server ${name}: ${added.trim()}`);
      await command(`enable server be/${name}`);
    },
    stop: () => stopChild(child, dir),
  };
}
