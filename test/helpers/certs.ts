// Test certificates made with the system's openssl: a private CA, a server
// certificate for localhost / 127.0.0.1 / ::1 signed by it, a self-signed one and
// an expired one (signed by the CA, valid until a day before it was made).
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificatePair {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

export interface TestCertificates {
  /** the private CA (pass `ca` to clients) */
  ca: CertificatePair;
  /** CN=localhost, SAN localhost, 127.0.0.1, ::1, signed by `ca` */
  server: CertificatePair;
  /** CN=localhost with the same SANs, signed by itself */
  selfSigned: CertificatePair;
  /** like `server`, but its validity ended a day before it was issued */
  expired: CertificatePair;
}

const SAN = 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1';
// EC keys: generated in milliseconds, unlike RSA.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

async function pair(dir: string, name: string): Promise<CertificatePair> {
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}.key`);
  return { certPath, keyPath, cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
}

/** Writes a CA-signed leaf `name` (.pem, .key) valid for `days` (negative: already expired). */
async function signedLeaf(dir: string, name: string, days: number): Promise<void> {
  const extFile = path.join(dir, `${name}.ext`);
  await writeFile(extFile, `${SAN}\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`);
  await openssl(['req', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost'], dir);
  await openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(days), '-extfile', extFile, '-out', `${name}.pem`],
    dir,
  );
}

/** Creates the certificates in `dir` (which must exist) and returns their paths and PEM text. */
export async function makeCertificates(dir: string): Promise<TestCertificates> {
  await openssl(
    [
      'req',
      '-x509',
      ...NEW_KEY,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '3650',
      '-subj',
      '/CN=connload test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await signedLeaf(dir, 'server', 825);
  // openssl x509 -days -1: notBefore is now, notAfter a day earlier, so it is expired from the start.
  await signedLeaf(dir, 'expired', -1);
  await openssl(['req', '-x509', ...NEW_KEY, '-keyout', 'self-signed.key', '-out', 'self-signed.pem', '-days', '825', '-subj', '/CN=localhost', '-addext', SAN], dir);
  return {
    ca: await pair(dir, 'ca'),
    server: await pair(dir, 'server'),
    selfSigned: await pair(dir, 'self-signed'),
    expired: await pair(dir, 'expired'),
  };
}
