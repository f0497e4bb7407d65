// Preloaded with --require into the CLI by test/e2e/worker-footprint.test.ts: each thread (the main
// one and every worker, which inherit the preload) says it started, then names each package under
// node_modules it loads, once, on stderr: "[package-loads main|worker <threadId>] <name>".
const Module = require('node:module');
const { writeSync } = require('node:fs');
const { isMainThread, threadId } = require('node:worker_threads');

const thread = isMainThread ? 'main' : `worker ${threadId}`;
const say = (what) => writeSync(2, `[package-loads ${thread}] ${what}\n`);
const seen = new Set();
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const loaded = load.call(this, request, parent, isMain);
  let file = null;
  try {
    file = Module._resolveFilename(request, parent, isMain);
  } catch {
    // a built-in, or something only the loader itself could find
  }
  const match = file === null ? null : /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  if (match !== null && !seen.has(match[1])) {
    seen.add(match[1]);
    say(match[1]);
  }
  return loaded;
};
say('started');
