// TLS session resumption across new connections (`--tls-session-reuse`): one
// ticket kept per worker, as a browser keeps one per origin.
export class TlsSessionCache {
  private session: Buffer | undefined;
  get(): Buffer | undefined {
    return this.session;
  }
  set(session: Buffer): void {
    this.session = session;
  }
}
