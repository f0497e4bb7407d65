// Input files of run and probe (--body-file, --ca), read and checked before anything is sent.
import { X509Certificate } from 'node:crypto';
import { open } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** A --ca file must hold a certificate: an empty or wrong file would fail every handshake later. */
export function caProblem(what: string, file: string, pem: string): string | null {
  try {
    new X509Certificate(pem);
    return null;
  } catch {
    return `${what}: ${JSON.stringify(file)} holds no certificate; expected PEM text from -----BEGIN CERTIFICATE-----`;
  }
}

/** Input files are read whole into memory (a body once per worker): larger input is a mistake (/dev/zero). */
export const MAX_INPUT_FILE_BYTES = 64 * 1024 * 1024;

/** Why a file could not be read, in words: "no such file", "larger than 64 MiB", or the code. */
export function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EFBIG') return `larger than ${MAX_INPUT_FILE_BYTES / 2 ** 20} MiB; expected a file of at most that (it is read into memory)`;
  return code;
}

/** The whole file, up to MAX_INPUT_FILE_BYTES; past that an error with code EFBIG. Pipes (`<(...)`) work; endless devices (/dev/zero) end there. */
export async function readCapped(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      total += bytesRead;
      if (total > MAX_INPUT_FILE_BYTES) throw Object.assign(new Error(`${file} is too large`), { code: 'EFBIG' });
      chunks.push(chunk.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

/** --body-file, --ca: the bytes, or a UsageError naming the option and the file. */
export async function readInputFile(what: string, file: string | undefined): Promise<Buffer | null> {
  if (file === undefined) return null;
  try {
    return await readCapped(file);
  } catch (err) {
    throw new UsageError(`${what}: cannot read ${JSON.stringify(file)}: ${readFailure(err)}`);
  }
}
