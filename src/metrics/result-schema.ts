// JSON Schema (draft-07) of the result document, shipped as
// scenarios/result.schema.json (a test keeps the file equal to this object).
// Names are a contract with CI users: add fields, never rename. The timing metrics
// are the catalogue's.
import { METRIC_NAMES } from './catalog.js';

const num = { type: 'number' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const nullable = (t: 'number' | 'integer' | 'string' | 'boolean') => ({ type: [t, 'null'] });
const counts = { type: 'object', additionalProperties: int } as const;

const metricSummary = {
  type: 'object',
  required: ['count', 'min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p999', 'max', 'hdr'],
  additionalProperties: false,
  properties: {
    count: int,
    min: num,
    mean: num,
    p50: num,
    p90: num,
    p95: num,
    p99: num,
    p999: num,
    max: num,
    hdr: { type: 'string', description: 'compressed HdrHistogram (base64) of microsecond values' },
  },
} as const;

const distribution = {
  type: 'object',
  required: ['mean', 'max', 'hdr'],
  additionalProperties: false,
  properties: { mean: num, max: num, hdr: { type: 'string' } },
} as const;

/** Connections and requests per address or backend (metrics/peers.ts). */
const peers = {
  type: ['object', 'null'],
  required: ['by', 'peers', 'skew'],
  additionalProperties: false,
  properties: {
    by: { type: 'string' },
    peers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'connections', 'requests', 'share', 'series'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          connections: { type: 'integer', minimum: 0 },
          requests: { type: 'integer', minimum: 0 },
          share: { type: 'number' },
          series: { type: 'array', items: { type: 'integer', minimum: 0 } },
        },
      },
    },
    skew: { type: 'number' },
  },
};

/** Held connections (--interval): how many the server kept, closed and refused, and when (metrics/held.ts). */
const held = {
  type: ['object', 'null'],
  required: [
    'intervalMs',
    'connections',
    'peakOpen',
    'openAtEnd',
    'closedByServer',
    'resetByServer',
    'closedFirstSecond',
    'closedLastSecond',
    'failed',
    'late',
    'skipped',
  ],
  additionalProperties: false,
  properties: {
    intervalMs: num,
    connections: int,
    peakOpen: int,
    openAtEnd: { ...int, description: 'connections open when the run stopped: the ones the server kept' },
    closedByServer: { ...int, description: 'connections the server closed, FIN or RST' },
    resetByServer: { ...int, description: 'of closedByServer, those the server reset' },
    closedFirstSecond: nullable('integer'),
    closedLastSecond: nullable('integer'),
    failed: {
      type: 'object',
      description: 'connects that failed, by code',
      additionalProperties: {
        type: 'object',
        required: ['count', 'firstSecond'],
        additionalProperties: false,
        properties: { count: int, firstSecond: nullable('integer') },
      },
    },
    late: { ...int, description: 'requests sent after their slot, because the previous response came later' },
    skipped: { ...int, description: 'slots that passed while a connection waited for a response' },
  },
} as const;

const phase = {
  type: 'object',
  required: [
    'name',
    'strategy',
    'options',
    'durationMs',
    'requests',
    'errors',
    'connections',
    'metrics',
    'ports',
    'tls',
    'http2',
    'thresholds',
    'series',
    'notes',
    'interrupted',
  ],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    strategy: { enum: ['new-connection', 'http10-keepalive', 'persistent', 'pipeline', 'multiplex'] },
    options: { type: 'object' },
    durationMs: num,
    requests: {
      type: 'object',
      required: ['completed', 'errors', 'retried', 'dropped', 'perSecond', 'byStatus'],
      additionalProperties: false,
      properties: { sent: int, completed: int, reused: int, errors: int, retried: int, dropped: int, unfinished: int, perSecond: num, byStatus: counts },
    },
    errors: counts,
    connections: {
      type: 'object',
      required: [
        'opened',
        'failed',
        'failedByCode',
        'closedByServer',
        'closedByClient',
        'resetByServer',
        'resetByClient',
        'closedByTimeout',
        'reuseRatio',
        'peakOpen',
        'keepAliveHeader',
        'keepAliveMaxObserved',
        'staleReuse',
        'requestsPerConnection',
      ],
      additionalProperties: false,
      properties: {
        opened: int,
        failed: int,
        failedByCode: counts,
        closedByServer: int,
        closedByClient: int,
        resetByServer: int,
        resetByClient: int,
        closedByTimeout: int,
        stoppedAtEnd: int,
        reuseRatio: { type: 'number', minimum: 0, maximum: 1 },
        peakOpen: int,
        keepAliveHeader: nullable('string'),
        keepAliveMaxObserved: nullable('integer'),
        staleReuse: int,
        closedOnError: counts,
        requestsPerConnection: distribution,
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(METRIC_NAMES.map((m) => [m, metricSummary])),
    },
    ports: {
      type: 'object',
      required: [
        'supported',
        'source',
        'rangeLow',
        'rangeHigh',
        'twReuse',
        'localAddresses',
        'timeWaitPeak',
        'timeWaitPeakServer',
        'peakFraction',
        'sustainableConnectionsPerSecond',
        'projectedExhaustionSeconds',
        'exhausted',
        'exhaustedAtSeconds',
      ],
      additionalProperties: false,
      properties: {
        supported: { type: 'boolean' },
        source: nullable('string'),
        rangeLow: nullable('integer'),
        rangeHigh: nullable('integer'),
        twReuse: nullable('integer'),
        // Optional: results written before they existed lack them.
        twReuseApplies: { type: 'boolean', description: 'tcp_tw_reuse lets new connections to the target take a 4-tuple in TIME_WAIT' },
        twReuseReason: { ...nullable('string'), description: 'why tcp_tw_reuse does or does not apply, in words' },
        timeWaitHoldSeconds: { ...int, description: 'seconds a port the client closed first stays taken: 60, or 1 under tcp_tw_reuse' },
        localAddresses: int,
        timeWaitPeak: nullable('integer'),
        timeWaitPeakServer: nullable('integer'),
        peakFraction: nullable('number'),
        sustainableConnectionsPerSecond: nullable('number'),
        projectedExhaustionSeconds: nullable('number'),
        exhausted: { type: 'boolean' },
        exhaustedAtSeconds: nullable('number'),
      },
    },
    tls: {
      type: ['object', 'null'],
      required: ['version', 'cipher', 'alpn', 'resumed', 'handshakes'],
      additionalProperties: false,
      properties: { version: nullable('string'), cipher: nullable('string'), alpn: nullable('string'), resumed: int, handshakes: int },
    },
    http2: {
      type: ['object', 'null'],
      required: ['streamsAsked', 'serverMaxStreams', 'limitedByServer', 'peakConcurrentStreams', 'goaway', 'resetStreams', 'streamsPerSession'],
      additionalProperties: false,
      properties: {
        streamsAsked: int,
        serverMaxStreams: nullable('integer'),
        limitedByServer: { type: 'boolean' },
        peakConcurrentStreams: int,
        goaway: counts,
        resetStreams: counts,
        streamsPerSession: distribution,
        serverSettings: counts,
        goawayLastStreamId: nullable('integer'),
        headerBytes: {
          type: 'object',
          additionalProperties: false,
          required: ['sentFirst', 'sentLater', 'receivedFirst', 'receivedLater'],
          properties: Object.fromEntries(
            ['sentFirst', 'sentLater', 'receivedFirst', 'receivedLater'].map((k) => [
              k,
              {
                type: 'object',
                additionalProperties: false,
                required: ['blocks', 'encoded', 'plain'],
                properties: { blocks: { type: 'integer', minimum: 0 }, encoded: { type: 'integer', minimum: 0 }, plain: { type: 'integer', minimum: 0 } },
              },
            ]),
          ),
        },
      },
    },
    addresses: peers,
    backends: peers,
    held,
    thresholds: {
      type: 'array',
      items: {
        type: 'object',
        required: ['expression', 'ok', 'actual'],
        additionalProperties: false,
        properties: { expression: { type: 'string' }, ok: { type: 'boolean' }, actual: nullable('number') },
      },
    },
    series: {
      type: 'array',
      items: {
        type: 'object',
        required: ['t', 'requests', 'newConnections', 'openConnections', 'timeWait', 'errors'],
        additionalProperties: false,
        properties: {
          t: int,
          requests: int,
          newConnections: int,
          openConnections: int,
          timeWait: nullable('integer'),
          errors: int,
          // Optional: results written before they existed lack them.
          closedByServer: { ...int, description: 'connections the server closed (FIN) or reset in this second' },
          connectFailed: { ...int, description: 'connects that failed in this second' },
        },
      },
    },
    notes: { type: 'array', items: { type: 'string' } },
    interrupted: { type: 'boolean' },
    startedAtEpochMs: { type: 'number' },
  },
} as const;

const capacityPoint = {
  type: 'object',
  required: [
    'load',
    'phase',
    'ok',
    'failedThreshold',
    'failedActual',
    'requestsPerSecond',
    'latencyP50Ms',
    'latencyP99Ms',
    'errors',
    'errorRate',
    'connectionsOpened',
    'timeWaitPeak',
  ],
  additionalProperties: false,
  properties: {
    load: { type: 'number' },
    phase: { type: 'string' },
    ok: { type: 'boolean' },
    failedThreshold: nullable('string'),
    failedActual: nullable('number'),
    requestsPerSecond: { type: 'number' },
    latencyP50Ms: nullable('number'),
    latencyP99Ms: nullable('number'),
    errors: int,
    errorRate: { type: 'number' },
    connectionsOpened: int,
    connectionsPerSecond: num,
    timeWaitPeak: nullable('integer'),
  },
} as const;

const capacity = {
  type: 'object',
  required: ['by', 'value', 'failedAt', 'failedThreshold', 'thresholds', 'stoppedBy', 'curve'],
  additionalProperties: false,
  properties: {
    by: { enum: ['rate', 'connections', 'connect-rate'] },
    value: nullable('number'),
    failedAt: nullable('number'),
    failedThreshold: nullable('string'),
    thresholds: { type: 'array', items: { type: 'string' } },
    stoppedBy: { type: 'string' },
    curve: { type: 'array', items: capacityPoint },
  },
} as const;

export const RESULT_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://connload.dev/schemas/result@1.json',
  title: 'connload result document (connload/result@1)',
  type: 'object',
  required: ['schema', 'tool', 'target', 'startedAt', 'ok', 'interrupted', 'phases'],
  additionalProperties: false,
  properties: {
    schema: { const: 'connload/result@1' },
    tool: { type: 'object', required: ['name', 'version'], additionalProperties: false, properties: { name: { type: 'string' }, version: { type: 'string' } } },
    target: { type: 'object', required: ['url', 'address'], additionalProperties: false, properties: { url: { type: 'string' }, address: nullable('string') } },
    startedAt: { type: 'string' },
    ok: { type: 'boolean' },
    interrupted: { type: 'boolean' },
    phases: { type: 'array', items: phase },
    capacity,
  },
} as const;
