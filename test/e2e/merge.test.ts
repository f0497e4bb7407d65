// `connload merge` on the results of two real runners (--runner-index 0/1 --runner-count 2)
// against the built-in server: the merged counts equal the server's, the merged histograms hold
// every request, thresholds are checked on the merged data (exit 1), bad inputs are exit 2.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

let dir: string;
let server: RunningServer;
let runners: CliResult[];

const file = (name: string): string => join(dir, name);
const readJson = async (name: string): Promise<ResultDocument> => JSON.parse(await readFile(file(name), 'utf8')) as ResultDocument;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connload-merge-'));
  server = await startServer({});
  const runner = (index: number, out: string) =>
    runCli(['run', `${server.url}/`, '-n', '200', '-c', '2', '--runner-index', String(index), '--runner-count', '2', '--quiet', '--json', file(out)]);
  // Two runners at the same time, as pods of an Indexed Job would be.
  runners = await Promise.all([runner(0, 'a.json'), runner(1, 'b.json')]);
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('connload merge', () => {
  it('merges two runners into the counts the server saw and one histogram of every request', async () => {
    for (const r of runners) expect(r.code, r.stderr).toBe(0);
    const [a, b] = [await readJson('a.json'), await readJson('b.json')];
    expect(a.phases[0]!.requests.completed).toBe(100);
    expect(b.phases[0]!.requests.completed).toBe(100);

    const r = await runCli(['merge', file('a.json'), file('b.json'), '-o', file('m.json'), '--junit', file('m.xml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Phase persistent');
    const merged = await readJson('m.json');
    assertValidResult(merged);
    const phase = merged.phases[0]!;
    const stats = server.stats();
    expect(phase.requests.completed).toBe(200);
    expect(phase.requests.completed).toBe(stats.requests);
    expect(phase.connections.opened).toBe(stats.connections);
    expect(phase.requests.reused).toBe(a.phases[0]!.requests.reused! + b.phases[0]!.requests.reused!);
    expect(phase.connections.reuseRatio).toBe(Math.round((phase.requests.reused! / 200) * 1000) / 1000);
    expect(phase.metrics.ttfb!.count).toBe(200);
    expect(decodeFromCompressedBase64(phase.metrics.ttfb!.hdr).totalCount).toBe(200);
    expect(decodeFromCompressedBase64(phase.metrics.latency!.hdr).totalCount).toBe(200);
    expect(phase.options).toMatchObject({ connections: 2, requests: 200, runners: 2 });
    expect(phase.options).not.toHaveProperty('runnerIndex');
    expect(phase.notes).toContain(
      "Merged from 2 results (runners 0-1 of 2): counters and histograms added exactly; TIME_WAIT peaks and peak open connections added over the runners' machines.",
    );
    expect(merged.ok).toBe(true);
    expect(await readFile(file('m.xml'), 'utf8')).toContain('<testsuite');
  });

  it('exits 1 when a threshold fails on the merged data, after writing the merged file', async () => {
    const r = await runCli(['merge', file('a.json'), file('b.json'), '-o', file('fail.json'), '--threshold', 'ttfb.count > 200', '--threshold', 'requests == 200']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('ttfb.count > 200 (actual 200)');
    const merged = await readJson('fail.json');
    expect(merged.ok).toBe(false);
    expect(merged.phases[0]!.thresholds).toEqual([
      { expression: 'ttfb.count > 200', ok: false, actual: 200 },
      { expression: 'requests == 200', ok: true, actual: 200 },
    ]);
  });

  it('exits 2 for results of another target, a missing file or a bad threshold', async () => {
    const other = await readJson('b.json');
    other.target.url = 'http://127.0.0.2:9/';
    await writeFile(file('other.json'), JSON.stringify(other));
    const mismatch = await runCli(['merge', file('a.json'), file('other.json'), '-o', file('x.json')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(`${file('other.json')}: target http://127.0.0.2:9/ differs from ${file('a.json')}'s`);

    const renamed = await readJson('b.json');
    renamed.phases[0]!.name = 'warm';
    await writeFile(file('renamed.json'), JSON.stringify(renamed));
    const phases = await runCli(['merge', file('a.json'), file('renamed.json'), '-o', file('x.json')]);
    expect(phases.code).toBe(2);
    expect(phases.stderr).toContain('phases [warm] differ');

    const missing = await runCli(['merge', file('a.json'), file('nope.json'), '-o', file('x.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: no such file');

    const bad = await runCli(['merge', file('a.json'), '-o', file('x.json'), '--threshold', 'ttfb.p99 < fast']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ttfb.p99 < fast');

    const noOut = await runCli(['merge', file('a.json')]);
    expect(noOut.code).toBe(2);
  });
});

// The manifest is read as text here (kubernetes-manifest.test.ts parses it and checks it against the
// Kubernetes API types). Its container args are run as they
// are written (TARGET and the index substituted as Kubernetes would, -n added to bound the run),
// and its merge command is run on what they wrote.
describe('scenarios/kubernetes/indexed-job.yaml', () => {
  const YAML_FILE = fileURLToPath(new URL('../../scenarios/kubernetes/indexed-job.yaml', import.meta.url));

  /** The items of the `args:` list of the runner container. */
  function containerArgs(yaml: string): string[] {
    const lines = yaml.split('\n');
    const start = lines.findIndex((l) => /^\s+args:\s*$/.test(l));
    const args: string[] = [];
    for (const line of lines.slice(start + 1)) {
      const item = /^\s+- (.+)$/.exec(line);
      if (!item) break;
      args.push(item[1]!.replace(/^"(.*)"$/, '$1'));
    }
    return args;
  }

  it('is an Indexed Job of 4 whose runner args and merge command work with this connload', async () => {
    const yaml = await readFile(YAML_FILE, 'utf8');
    expect(yaml).toMatch(/^kind: Job$/m);
    expect(yaml).toMatch(/^\s+completionMode: Indexed$/m);
    expect(yaml).toMatch(/^\s+completions: 4$/m);
    expect(yaml).toMatch(/^\s+parallelism: 4$/m);
    expect(yaml).toContain("fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']");
    expect(yaml).toMatch(/^\s+claimName: connload-results$/m);
    const args = containerArgs(yaml);
    expect(args.slice(0, 2)).toEqual(['run', '$(TARGET)']);
    expect(args.join(' ')).toContain('--runner-index $(JOB_COMPLETION_INDEX) --runner-count 4 --json /results/result-$(JOB_COMPLETION_INDEX).json');
    const merge = /npx connload (merge results\/result-\*\.json -o merged\.json --threshold "ttfb\.p99 < 100ms")/.exec(yaml);
    expect(merge, 'the merge command in the comment').not.toBeNull();

    const k8sServer = await startServer({});
    try {
      const results = file('k8s-results');
      await mkdir(results);
      const startAt = Date.now() + 2000;
      const pods = [0, 1, 2, 3].map((index) => {
        const podArgs = args.map((a) =>
          a
            .replace('$(TARGET)', `${k8sServer.url}/`)
            .replaceAll('$(JOB_COMPLETION_INDEX)', String(index))
            .replace('/results/', `${results}/`)
            .replace('$(START_AT)', new Date(startAt).toISOString()),
        );
        return runCli([...podArgs, '-n', '100', '--quiet']);
      });
      for (const pod of await Promise.all(pods)) expect(pod.code, pod.stderr).toBe(0);

      const files = [0, 1, 2, 3].map((i) => join(results, `result-${i}.json`)); // the shell's expansion of results/result-*.json
      const merged = await runCli(['merge', ...files, '-o', join(results, 'merged.json'), '--threshold', 'ttfb.p99 < 100ms']);
      expect([0, 1], merged.stderr).toContain(merged.code);
      const doc = JSON.parse(await readFile(join(results, 'merged.json'), 'utf8')) as ResultDocument;
      assertValidResult(doc);
      const phase = doc.phases[0]!;
      expect(phase.requests.completed).toBe(100);
      expect(phase.requests.completed).toBe(k8sServer.stats().requests);
      expect(phase.connections.opened).toBe(k8sServer.stats().connections);
      expect(phase.options).toMatchObject({ connections: 64, requests: 100, runners: 4 });
      expect(phase.thresholds.map((t) => t.expression)).toEqual(['ttfb.p99 < 100ms']);
      expect(merged.code).toBe(phase.thresholds[0]!.ok ? 0 : 1);
    } finally {
      await k8sServer.close();
    }
  });
});
