// The JSON Schema of a scenario file, built from the run option contract so the
// two cannot drift. scenarios/scenario.schema.json is this object, written out
// (a test fails when they differ; `npx vitest run -u` rewrites the file).
import { RUN_DEFAULTS, RUN_OPTION_KEYS } from '../plan/options.js';
import { STRATEGY_NAMES } from '../plan/types.js';
import { CLOSE_POLICIES } from '../transport/close-policy.js';
import { formatMs } from '../units.js';

export type SchemaNode = { [key: string]: unknown };

/** In a scenario, thresholds live in the top-level map, not in the phase. */
export type ScenarioOptionKey = Exclude<(typeof RUN_OPTION_KEYS)[number], 'threshold'>;
export const SCENARIO_OPTION_KEYS = RUN_OPTION_KEYS.filter((k): k is ScenarioOptionKey => k !== 'threshold');

/**
 * What a schema node accepts, in words, for error lines ("expected a positive
 * integer"). Kept beside the schema instead of inside it so the shipped file
 * stays plain draft-07.
 */
const EXPECTED = new WeakMap<object, string>();

export function expectedText(node: unknown): string | null {
  return typeof node === 'object' && node !== null ? (EXPECTED.get(node) ?? null) : null;
}

function accepts<T extends SchemaNode>(expected: string, node: T): T {
  EXPECTED.set(node, expected);
  return node;
}

const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(us|ms|s|m|h)?\\s*$';
/** A duration or MIN-MAX of them ("20s-40s", "500-900ms"); buildPlan checks the order. */
const DURATION_RANGE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(us|ms|s|m|h)?\\s*(-\\s*\\d+(\\.\\d+)?\\s*(us|ms|s|m|h)?\\s*)?$';

function duration(description: string, defaultMs?: number): SchemaNode {
  return accepts('a duration ("10s", "500ms", "1.5m" or a number of seconds)', {
    description: `${description} A duration: "10s", "500ms", "1.5m", or a number of seconds.`,
    ...(defaultMs === undefined ? {} : { default: formatMs(defaultMs) }),
    anyOf: [
      { type: 'string', pattern: DURATION_PATTERN },
      { type: 'number', minimum: 0 },
    ],
  });
}

function positiveInteger(description: string, defaultValue?: number): SchemaNode {
  return accepts('a positive integer', {
    description,
    type: 'integer',
    minimum: 1,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });
}

function boolean(description: string, defaultValue?: boolean): SchemaNode {
  return accepts('true or false', { description, type: 'boolean', ...(defaultValue === undefined ? {} : { default: defaultValue }) });
}

function string(description: string): SchemaNode {
  return accepts('a string', { description, type: 'string' });
}

function stringOrList(expected: string, description: string): SchemaNode {
  return accepts(expected, {
    description,
    anyOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    ],
  });
}

function stages(description: string, targetDescription: string, wholeTargets = false): SchemaNode {
  return accepts('an array of {"duration", "target"} stages', {
    description,
    type: 'array',
    minItems: 1,
    items: accepts('a stage {"duration": "30s", "target": N}', {
      type: 'object',
      required: ['duration', 'target'],
      properties: {
        duration: duration('How long this stage ramps.'),
        target: wholeTargets
          ? accepts('a whole number >= 0', { description: targetDescription, type: 'integer', minimum: 0 })
          : accepts('a number >= 0', { description: targetDescription, type: 'number', minimum: 0 }),
      },
      additionalProperties: false,
    }),
  });
}

const OPTION_SCHEMAS: Record<ScenarioOptionKey, SchemaNode> = {
  strategy: accepts(`one of ${STRATEGY_NAMES.map((s) => `"${s}"`).join(', ')}`, {
    description: 'How connections are used: new-connection (one per request), http10-keepalive, persistent (HTTP/1.1), pipeline, multiplex (HTTP/2).',
    enum: [...STRATEGY_NAMES],
    default: RUN_DEFAULTS.strategy,
  }),
  connections: positiveInteger('Connections in total (-c), shared by the workers.', RUN_DEFAULTS.connections),
  duration: duration('How long the phase runs (after warmup); it stops earlier when `requests` is reached.', RUN_DEFAULTS.durationMs),
  requests: positiveInteger('Stop after this many completed requests (in total).'),
  warmup: duration('Time run before counting starts.', RUN_DEFAULTS.warmupMs),
  method: accepts('an HTTP method such as "GET"', {
    description: 'Request method. Only idempotent methods are pipelined or retried.',
    type: 'string',
    pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
    default: RUN_DEFAULTS.method,
  }),
  headers: accepts('an object of header names to string values', {
    description: 'Extra request headers, name to value. Authorization, Cookie and Proxy-Authorization are redacted in reports.',
    type: 'object',
    additionalProperties: string('Header value.'),
  }),
  body: string('Request body text.'),
  bodyFile: string('Path of a file sent as the request body.'),
  workers: positiveInteger('Worker threads sharing the connections (or the rate).', RUN_DEFAULTS.workers),
  depth: positiveInteger('pipeline: requests in flight per connection.', RUN_DEFAULTS.depth),
  streams: positiveInteger('multiplex: concurrent HTTP/2 streams per connection.', RUN_DEFAULTS.streams),
  maxRequestsPerConnection: accepts('a positive integer or a range "MIN-MAX" of them, e.g. 100 or "80-120"', {
    description: 'Retire a connection after this many requests: 100, or a range "80-120" from which each connection draws its own limit (uniformly).',
    anyOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', pattern: '^\\s*\\d+\\s*(-\\s*\\d+\\s*)?$' },
    ],
  }),
  maxConnectionAge: accepts('a duration or a range "MIN-MAX" of them, e.g. "30s" or "20s-40s"', {
    description: 'Retire a connection older than this: "30s" (a number is seconds), or a range "20s-40s" from which each connection draws its own limit (uniformly).',
    anyOf: [
      { type: 'string', pattern: DURATION_RANGE_PATTERN },
      { type: 'number', exclusiveMinimum: 0 },
    ],
  }),
  connectRate: accepts('a positive number', {
    description: 'New connections per second, for every strategy: a pool grows to its size at this rate, new-connection is paced by it.',
    type: 'number',
    exclusiveMinimum: 0,
  }),
  idleTimeout: duration("Close a pooled connection idle this long: keep it below the server's keep-alive timeout."),
  interval: duration(
    'Held connections (C10K tests): each connection sends a request this often, on its own schedule from its first request; keep-alive strategies, closed model.',
  ),
  close: accepts(`one of ${CLOSE_POLICIES.map((s) => `"${s}"`).join(', ')}`, {
    description:
      "Who closes a retired connection: server (Connection: close, the server keeps TIME_WAIT), client (the client's port goes to TIME_WAIT), reset (RST, no TIME_WAIT).",
    enum: [...CLOSE_POLICIES],
    default: RUN_DEFAULTS.close,
  }),
  nodelay: boolean('TCP_NODELAY (Nagle off).', RUN_DEFAULTS.nodelay),
  splitWrites: boolean('Write headers and body separately (with nodelay off this shows the delayed-ACK stall).', false),
  connectTimeout: duration('Time allowed for a connection (and TLS) to be established.', RUN_DEFAULTS.connectTimeoutMs),
  timeout: duration('Time allowed for a response.', RUN_DEFAULTS.timeoutMs),
  insecure: boolean('Do not verify TLS certificates.', false),
  ca: string('Path of a PEM file with a private CA.'),
  servername: string('TLS server name (SNI) to send.'),
  tlsSessionReuse: boolean('Resume TLS sessions on new connections.'),
  backendHeader: string('The response header that names the backend that answered (X-Served-By): connections, requests, share and skew per backend.'),
  dns: accepts('one of "first", "round-robin", "random"', {
    description:
      "Which address of the target's name each new connection goes to: first (the system's, looked up per connection), round-robin or random over every A and AAAA address.",
    enum: ['first', 'round-robin', 'random'],
  }),
  dnsRefresh: duration('Re-resolve the name this often during the run.'),
  resolve: stringOrList(
    'a "host:port:addr[,addr]" string or an array of them',
    'Pin a name to addresses, as curl --resolve: "api.example.test:443:127.0.0.2,127.0.0.3".',
  ),
  dnsServer: string('Ask this DNS server (addr[:port]) directly instead of the system resolver.'),
  proxy: string(
    'Forward proxy, http://[user:pass@]host:port: CONNECT tunnels for https, absolute-form requests for http. Without it, HTTP_PROXY / HTTPS_PROXY apply unless NO_PROXY names the host.',
  ),
  unixSocket: string('Send the requests over this Unix domain socket (the URL still gives the Host header and TLS name).'),
  localAddress: stringOrList(
    'an address, list, range or CIDR, as a string or an array of strings',
    'Source addresses to spread connections over: "127.0.0.2,127.0.0.3", "127.0.0.2-127.0.0.9", "127.0.0.0/29", or an array.',
  ),
  rate: accepts('a positive number', {
    description: 'Open model: requests per second in total, on a fixed schedule (coordinated omission corrected).',
    type: 'number',
    exclusiveMinimum: 0,
  }),
  maxConnections: positiveInteger('Open model: cap on open connections.'),
  page: stringOrList(
    'a comma-separated string or an array of paths',
    'Page mode: paths fetched as one iteration, e.g. ["/index.html", "/a.png", "/b.png", "/c.png"] or "/index.html,/a.png".',
  ),
  sampleInterval: duration('How often TIME_WAIT and local ports are sampled.', RUN_DEFAULTS.sampleIntervalMs),
  runnerIndex: accepts('an integer >= 0', {
    description: "Many machines: this runner's index (0-based) among runnerCount.",
    type: 'integer',
    minimum: 0,
  }),
  runnerCount: positiveInteger('Many machines: how many runners split the load.'),
  stages: stages(
    'Open model ramp, as k6 writes it: the arrival rate moves linearly from `rate` (0 if not given) through each target; the phase lasts as long as its stages. E.g. [{"duration": "30s", "target": 2000}, {"duration": "60s", "target": 2000}, {"duration": "10s", "target": 0}].',
    'Requests per second (in total) at the end of this stage.',
  ),
  connectionStages: stages(
    'Closed model ramp, written like `stages`: the open connections (in total) move linearly from `connections` (0 if not given) through each target; the pool has as many as the peak, and the phase lasts as long as its stages. Not with `rate` or `stages` (the open model). E.g. [{"duration": "30s", "target": 200}, {"duration": "60s", "target": 200}, {"duration": "10s", "target": 0}].',
    'Open connections (in total) at the end of this stage.',
    true,
  ),
  startAt: accepts('an ISO time or epoch milliseconds', {
    description:
      'Start barrier: plan, then wait until this time and start (runners on many machines start together). An ISO time ("2026-12-03T12:00:00Z") or epoch milliseconds; at most 5 s in the past and 24 h ahead.',
    anyOf: [
      { type: 'string', minLength: 1 },
      { type: 'integer', minimum: 0 },
    ],
  }),
};

function optionProperties(): SchemaNode {
  return Object.fromEntries(SCENARIO_OPTION_KEYS.map((k) => [k, OPTION_SCHEMAS[k]]));
}

function buildScenarioSchema(): SchemaNode {
  const phaseName = accepts('a non-empty string', { description: 'The phase name, unique in the scenario; thresholds refer to it.', type: 'string', minLength: 1 });
  const phase = accepts('an object with a "name" and run options', {
    description: 'One load phase: a name and any run option (they override `defaults`).',
    type: 'object',
    required: ['name'],
    properties: { name: phaseName, ...optionProperties() },
    additionalProperties: false,
  });
  const expressions = accepts('an array of threshold expressions', {
    description: 'Threshold expressions: <metric>[.<stat>] <op> <value>[unit].',
    type: 'array',
    items: accepts('a threshold expression such as "ttfb.p99 < 50ms"', {
      type: 'string',
      examples: ['ttfb.p99 < 50ms', 'connect.p95 < 5ms', 'reuse >= 0.95', 'errors == 0', 'errors.rate < 0.1%', 'rps >= 1000'],
    }),
  });
  return accepts('a scenario object', {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'connload scenario',
    description: 'Phases run in order against one target, with pass/fail thresholds. ${VAR} and ${VAR:-default} in any string are replaced from the environment.',
    type: 'object',
    required: ['name', 'target', 'phases'],
    properties: {
      $schema: string('The JSON Schema of this file, for editors: "./scenario.schema.json".'),
      name: accepts('a non-empty string', { description: 'The scenario name, shown in reports.', type: 'string', minLength: 1 }),
      description: string('What this scenario shows, in a sentence.'),
      target: accepts('an http:// or https:// URL', {
        description: 'Base URL of the target; may use ${VAR} or ${VAR:-default}, e.g. "${TARGET:-http://127.0.0.1:8080}".',
        type: 'string',
        minLength: 1,
      }),
      defaults: accepts('an object of run options', {
        description: 'Run options every phase starts from.',
        type: 'object',
        properties: optionProperties(),
        additionalProperties: false,
      }),
      phases: accepts('a non-empty array of phases', {
        description: 'The phases, run in order.',
        type: 'array',
        minItems: 1,
        items: phase,
      }),
      thresholds: accepts('an object of phase names (or "*") to arrays of expressions', {
        description: 'Thresholds per phase name; "*" applies to every phase. A failed one makes the run exit 1.',
        type: 'object',
        additionalProperties: expressions,
      }),
    },
    additionalProperties: false,
  });
}

export const SCENARIO_SCHEMA: SchemaNode = buildScenarioSchema();
