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

/** A request body or a CA is kept in memory (a body once per worker): larger input is a mistake (/dev/zero). */
export const MAX_INPUT_FILE_BYTES = 64 * 1024 * 1024;

/** Reads at most MAX_INPUT_FILE_BYTES; pipes (`--body-file <(...)`) work, endless devices are refused. */
export async function readInputFile(what: string, file: string | undefined): Promise<Buffer | null> {
  if (file === undefined) return null;
  let handle;
  try {
    handle = await open(file, 'r');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      total += bytesRead;
      if (total > MAX_INPUT_FILE_BYTES) {
        throw new UsageError(`${what}: ${JSON.stringify(file)} is larger than ${MAX_INPUT_FILE_BYTES / 2 ** 20} MiB; expected a file of at most that (it is kept in memory)`);
      }
      chunks.push(chunk.subarray(0, bytesRead));
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${what}: cannot read ${JSON.stringify(file)}: ${code === 'ENOENT' ? 'no such file' : code}`);
  } finally {
    await handle?.close();
  }
}
