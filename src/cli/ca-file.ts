// --ca is read by run and probe; a file without a certificate is bad input, found before anything is sent.
import { X509Certificate } from 'node:crypto';

/** A --ca file must hold a certificate: an empty or wrong file would fail every handshake later. */
export function caProblem(what: string, file: string, pem: string): string | null {
  try {
    new X509Certificate(pem);
    return null;
  } catch {
    return `${what}: ${JSON.stringify(file)} holds no certificate; expected PEM text from -----BEGIN CERTIFICATE-----`;
  }
}
