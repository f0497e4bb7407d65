// The floor under connload: the least a Node program can do for the same workload through
// node:net on one thread, and nothing else (no parsing beyond "a read came", no timing, no
// histograms, no second thread). Where connload is close to it, what is left is Node's and
// the kernel's, not connload's.
//   node node-loop.mjs <url> <strategy: persistent|new-connection> <connections> <seconds> [rate]
// Prints one JSON line: { requests, rps, errors }. Reads are assumed to hold one whole response
// (true for the bench's 12-byte nginx answer), which is what makes it a floor and not a client.
import net from 'node:net';

const [url, strategy, connectionsArg, secondsArg, rateArg] = process.argv.slice(2);
const { hostname: host, port } = new URL(url);
const connections = Number(connectionsArg);
const durationMs = Number(secondsArg) * 1000;
const rate = rateArg === undefined ? null : Number(rateArg);
const newConnection = strategy === 'new-connection';
if (!['persistent', 'new-connection'].includes(strategy) || !(connections > 0) || !(durationMs > 0) || (rate !== null && (newConnection || !(rate > 0)))) {
  console.error('usage: node node-loop.mjs <url> persistent|new-connection <connections> <seconds> [rate, persistent only]');
  process.exit(2);
}

const request = Buffer.from(`GET ${new URL(url).pathname} HTTP/1.1\r\nHost: ${host}:${port}\r\n${newConnection ? 'Connection: close\r\n' : ''}\r\n`);
const readBuffer = Buffer.allocUnsafe(64 * 1024);
let requests = 0;
let errors = 0;
let stopped = false;
/** Connections with nothing in flight (open model). */
const idle = [];
let startMs = 0;
let sent = 0;

function send(socket) {
  sent++;
  socket.write(request);
}

/** Requests the schedule has made due so far (open model). */
const due = () => Math.floor(((performance.now() - startMs) * rate) / 1000);

/** Next request: at once (closed model), or when the schedule says (open model: as connload, a connection
 *  that comes free takes an overdue request at once; the others wait for the millisecond timer). */
function free(socket) {
  if (stopped) return;
  if (rate === null || sent < due()) send(socket);
  else idle.push(socket);
}

/** A connection per request connects its closed socket again (as connload does: net.Socket#connect after 'close'). */
function openConnection() {
  const socket = new net.Socket({ noDelay: true, onread: { buffer: readBuffer, callback: onRead } });
  socket.on('connect', () => free(socket));
  socket.on('error', () => errors++);
  if (newConnection) {
    socket.on('end', () => socket.destroy());
    socket.on('close', () => stopped || socket.connect(Number(port), host));
  }
  socket.connect(Number(port), host);
  function onRead() {
    requests++;
    if (!newConnection) free(socket);
    return true;
  }
}

function tick() {
  if (stopped) return;
  const dueNow = due();
  while (sent < dueNow && idle.length > 0) send(idle.pop());
  setTimeout(tick, 1);
}

startMs = performance.now();
for (let i = 0; i < connections; i++) openConnection();
if (rate !== null) setTimeout(tick, 1);
setTimeout(() => {
  stopped = true;
  const seconds = (performance.now() - startMs) / 1000;
  console.log(JSON.stringify({ requests, rps: requests / seconds, errors }));
  process.exit(0);
}, durationMs);
