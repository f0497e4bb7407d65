// scenarios/kubernetes/indexed-job.yaml checked against Kubernetes' own API types, not as text:
// each document is parsed as YAML and validated twice with kubernetes-models (generated from the
// Kubernetes OpenAPI): at run time by its JSON Schema validators (types, required fields, enums,
// formats), and by the TypeScript compiler against its interfaces, whose excess-property check
// catches a misspelt or misplaced field that the run-time schemas let through.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job } from 'kubernetes-models/batch/v1';
import { PersistentVolumeClaim, Pod } from 'kubernetes-models/v1';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { startServer } from '../../src/server/server.js';
import { runCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const YAML_FILE = join(ROOT, 'scenarios/kubernetes/indexed-job.yaml');

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };

function documents(): Manifest[] {
  return parseAllDocuments(readFileSync(YAML_FILE, 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Manifest;
  });
}

/** Model class and TypeScript interface of each kind the manifest uses. */
const KINDS: Record<string, { model: new (data: never) => { validate(): void }; module: string; type: string }> = {
  'v1/PersistentVolumeClaim': { model: PersistentVolumeClaim as never, module: 'kubernetes-models/v1/PersistentVolumeClaim', type: 'IPersistentVolumeClaim' },
  'batch/v1/Job': { model: Job as never, module: 'kubernetes-models/batch/v1/Job', type: 'IJob' },
  'v1/Pod': { model: Pod as never, module: 'kubernetes-models/v1/Pod', type: 'IPod' },
};

/** Type errors of `const doc: I<Kind> = <the document>` for every document, as tsc reports them. */
async function typeErrors(docs: Manifest[]): Promise<string[]> {
  // Inside the repository so that kubernetes-models resolves from node_modules.
  const dir = join(ROOT, 'node_modules', '.cache', 'connload-k8s-check');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'manifest.ts');
  const source = docs
    .map((doc, i) => {
      const kind = KINDS[`${doc.apiVersion}/${doc.kind}`]!;
      return `import type { ${kind.type} as T${i} } from '${kind.module}';\nexport const doc${i}: T${i} = ${JSON.stringify(doc, null, 2)};\n`;
    })
    .join('\n');
  await writeFile(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('scenarios/kubernetes/indexed-job.yaml against the Kubernetes API types', () => {
  it('is a PersistentVolumeClaim, an Indexed Job of 4 and a reader Pod, each valid for its kind', () => {
    const docs = documents();
    expect(docs.map((d) => `${d.apiVersion}/${d.kind}`)).toEqual(['v1/PersistentVolumeClaim', 'batch/v1/Job', 'v1/Pod']);
    for (const doc of docs) expect(() => new KINDS[`${doc.apiVersion}/${doc.kind}`]!.model(doc as never).validate(), doc.kind).not.toThrow();
    const job = docs[1] as unknown as {
      spec: {
        completionMode: string;
        completions: number;
        parallelism: number;
        template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string }> }> } };
      };
    };
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
    const container = job.spec.template.spec.containers[0]!;
    expect(container.env.map((e) => e.name)).toEqual(expect.arrayContaining(['TARGET', 'JOB_COMPLETION_INDEX', 'START_AT']));
    const args = container.args.join(' ');
    expect(args).toContain('--runner-count 4');
    expect(args).toContain(`--runner-count ${job.spec.completions}`);
    expect(args).toContain('--start-at $(START_AT)');
  });

  it('has no field that the Kubernetes types do not know (tsc excess-property check)', async () => {
    expect(await typeErrors(documents())).toEqual([]);
  });

  it('the check catches a misplaced field and a wrong type', async () => {
    const docs = documents();
    const job = docs[1] as unknown as { spec: Record<string, unknown> };
    job.spec['startAt'] = 'soon'; // not a Job field
    const errors = await typeErrors(docs);
    expect(errors).toEqual([`Object literal may only specify known properties, and '"startAt"' does not exist in type 'IJobSpec'.`]);
    const broken = documents()[1] as unknown as { spec: Record<string, unknown> };
    broken.spec['completions'] = 'four';
    expect(() => new Job(broken as never).validate()).toThrow(/completions must be integer/);
  }, 60_000);

  it('its runners, started seconds apart, start together at START_AT', async () => {
    const job = documents()[1] as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
    const args = job.spec.template.spec.containers[0]!.args;
    const server = await startServer({});
    const dir = await mkdtemp(join(tmpdir(), 'connload-k8s-'));
    try {
      const startAt = Date.now() + 3000;
      const pods = [0, 1, 2, 3].map(async (index) => {
        await new Promise((r) => setTimeout(r, index * 400)); // pods are scheduled apart
        const podArgs = args.map((a) =>
          a
            .replace('$(TARGET)', `${server.url}/`)
            .replace('$(START_AT)', new Date(startAt).toISOString())
            .replaceAll('$(JOB_COMPLETION_INDEX)', String(index))
            .replace('/results/', `${dir}/`),
        );
        return runCli([...podArgs, '-n', '40', '--quiet']);
      });
      for (const pod of await Promise.all(pods)) expect(pod.code, pod.stderr).toBe(0);
      const starts = [0, 1, 2, 3].map((i) => (JSON.parse(readFileSync(join(dir, `result-${i}.json`), 'utf8')) as ResultDocument).phases[0]!.startedAtEpochMs);
      expect(starts).toEqual([startAt, startAt, startAt, startAt]);
      expect(server.stats().requests).toBe(40);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
