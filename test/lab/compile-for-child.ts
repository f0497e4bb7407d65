// The interruption tests need the lab helper in a plain node child process
// (vitest's loader is not there), so the helper's files are transpiled to a
// temporary directory, next to a copy of the delayer source and binary.
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ensureDelayer } from './delayer-build.js';

const HELPER_FILES = ['lab.ts', 'teardown.ts', 'exec.ts', 'delayer-build.ts', 'delayer-process.ts'];
const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** Returns a directory holding lab.js and what it imports. */
export async function compileLabForChild(): Promise<string> {
  const binary = await ensureDelayer();
  const dir = await mkdtemp(join(tmpdir(), 'connload-lab-'));
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const file of HELPER_FILES) {
    const source = await readFile(here(file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    await writeFile(join(dir, file.replace(/\.ts$/, '.js')), outputText);
  }
  // Timestamps kept: the copied binary stays newer than the copied source, so
  // the child does not compile again.
  await cp(here('delayer.c'), join(dir, 'delayer.c'), { preserveTimestamps: true });
  await mkdir(join(dir, 'delayer'));
  await cp(binary, join(dir, 'delayer', 'delayer'), { preserveTimestamps: true });
  return dir;
}
