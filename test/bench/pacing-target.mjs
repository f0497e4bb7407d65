// A target that counts when requests arrive, to show how a tool spreads a fixed --rate over
// time: the same 12-byte answer as the bench's nginx, and per WINDOW_MS the number of
// requests that came in (counted by their blank line: GETs without a body).
//   node pacing-target.mjs   -> prints "<load port> <control port>"
// A connection to the control port gets the windows since the last one as JSON
// ({ windowMs, counts }), and the count starts again.
import net from 'node:net';

const WINDOW_MS = 50;
const ANSWER = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\nhello world\n');
const CR = 0x0d;
const LF = 0x0a;

let counts = [];
let firstMs = null;
/** bytes of a blank line seen so far at the end of the last chunk, per socket */
const tail = new WeakMap();

function requestsIn(socket, chunk) {
  let seen = tail.get(socket) ?? 0;
  let requests = 0;
  for (const byte of chunk) {
    // Progress through "\r\n\r\n"; a byte out of turn starts over (at 1 if it is a CR).
    if (byte === (seen % 2 === 0 ? CR : LF)) seen++;
    else seen = byte === CR ? 1 : 0;
    if (seen === 4) {
      requests++;
      seen = 0;
    }
  }
  tail.set(socket, seen);
  return requests;
}

const load = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    const n = requestsIn(socket, chunk);
    if (n === 0) return;
    const now = performance.now();
    firstMs ??= now;
    const window = Math.floor((now - firstMs) / WINDOW_MS);
    while (counts.length <= window) counts.push(0);
    counts[window] += n;
    socket.write(n === 1 ? ANSWER : Buffer.concat(Array(n).fill(ANSWER)));
  });
});

const control = net.createServer((socket) => {
  socket.end(JSON.stringify({ windowMs: WINDOW_MS, counts }));
  counts = [];
  firstMs = null;
});

load.listen(0, '127.0.0.1', () => control.listen(0, '127.0.0.1', () => console.log(`${load.address().port} ${control.address().port}`)));
process.on('SIGTERM', () => process.exit(0));
