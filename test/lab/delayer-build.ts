// Builds test/lab/delayer.c into test/lab/delayer/delayer (ignored by git)
// when the binary is missing or older than the source.
import { mkdir, rename, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execOk } from './exec.js';

export const DELAYER_SOURCE = fileURLToPath(new URL('./delayer.c', import.meta.url));
export const DELAYER_BINARY = fileURLToPath(new URL('./delayer/delayer', import.meta.url));

async function mtimeMs(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}

let building: Promise<string> | null = null;

/** Returns the path of an up-to-date delayer binary, compiling it if needed. */
export function ensureDelayer(): Promise<string> {
  building ??= build().finally(() => (building = null));
  return building;
}

async function build(): Promise<string> {
  const sourceMs = await mtimeMs(DELAYER_SOURCE);
  const binaryMs = await mtimeMs(DELAYER_BINARY);
  if (sourceMs === null) throw new Error(`delayer source missing: ${DELAYER_SOURCE}`);
  if (binaryMs !== null && binaryMs >= sourceMs) return DELAYER_BINARY;
  await mkdir(fileURLToPath(new URL('./delayer/', import.meta.url)), { recursive: true });
  // Compile to a private name and rename: two runs building at once never
  // execute a half-written file.
  const partial = `${DELAYER_BINARY}.${process.pid}.tmp`;
  await execOk('gcc', ['-O2', '-Wall', '-o', partial, DELAYER_SOURCE, '-lnetfilter_queue', '-lnfnetlink']);
  await rename(partial, DELAYER_BINARY);
  return DELAYER_BINARY;
}
