// Architecture rules for connload, checked by `npm run lint` (depcruise src test bin).
// One way through the code (DESIGN.md, Architecture), each layer importing only the
// layers below it:
//   main -> cli -> {report, server, probe} -> run -> plan -> strategies
//        -> protocols (http1, http2) -> metrics -> transport
// src/errors.ts and src/version.ts may be imported from anywhere (and import nothing).
// Narrower than the order: report takes metrics only; server and probe take the
// protocols and transport; metrics takes transport only; transport takes nothing.
// Decided: probe may take report/style.ts (chalk, table and number formats) so that
// its tables look like every other report; no other module of report.
// test/ may import anything. Type-only imports count (layers and cycles): they couple modules too.

const SHARED = '^src/(errors|version)\\.ts$';

/** The paths under src/ that a layer may import besides its own folder and errors/version. */
const layer = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: '^src/', pathNot: [from, SHARED, ...allowed] },
});

const PROTOCOLS = ['^src/http1/', '^src/http2/'];
const BELOW_RUN = ['^src/plan/', '^src/strategies/', ...PROTOCOLS, '^src/metrics/', '^src/transport/'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'No cycles, `import type` included: a run-time cycle loads modules in an order that depends on who came first, and a type-only one still ties the modules into one unit that cannot be read or replaced apart (the shared type belongs in the lower module). To let type-only cycles pass, add viaOnly: { dependencyTypesNot: ["type-only"] } to `to`.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve fails at run time (a typo, or a .ts path written without its .js ending).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'src-not-to-dev-dep',
      comment: 'The package ships dist/ with its dependencies only: code under src/ must not need a devDependency at run time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: ['node_modules/@types/'] },
    },
    {
      name: 'src-not-to-test',
      comment: 'Tests may import the product, never the other way round.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'main-is-the-top',
      comment: 'src/main.ts is the entry (the only process.exit); nothing in src/ imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/main\\.ts$' },
      to: { path: '^src/main\\.ts$' },
    },
    {
      name: 'shared-imports-nothing',
      comment: 'errors.ts and version.ts are usable from every layer, so they import no other module of the project (or a layer would reach above itself through them).',
      severity: 'error',
      from: { path: SHARED },
      to: { path: '^src/', pathNot: SHARED },
    },
    layer(
      'main-imports-cli',
      '^src/main\\.ts$',
      ['^src/cli/'],
      'main maps errors to exit codes and hands the arguments to the commands; everything else is reached through cli/.',
    ),
    layer(
      'cli-imports-below',
      '^src/cli/',
      ['^src/report/', '^src/server/', '^src/probe/', '^src/run/', ...BELOW_RUN],
      'The commands sit under main only: they turn arguments into a plan and call the layers below.',
    ),
    layer(
      'report-imports-metrics',
      '^src/report/',
      ['^src/metrics/'],
      'Reporters are functions of the result (metrics/ result types): they never see a plan, a connection or a protocol.',
    ),
    layer(
      'server-imports-protocols-transport',
      '^src/server/',
      [...PROTOCOLS, '^src/transport/'],
      'The built-in server reuses the codecs and the transport, and nothing of the load generator (run, plan, strategies).',
    ),
    layer(
      'probe-imports-protocols-transport',
      '^src/probe/',
      [...PROTOCOLS, '^src/transport/', '^src/report/style\\.ts$'],
      'The probe speaks the protocols over the transport; it takes only the styling helpers of report/ (report/style.ts), so its tables look like the others.',
    ),
    layer(
      'run-imports-below',
      '^src/run/',
      BELOW_RUN,
      'The engine executes a plan with the strategies over the protocols and records metrics; it knows nothing of commands or reporters.',
    ),
    layer(
      'plan-imports-below',
      '^src/plan/',
      BELOW_RUN.filter((p) => p !== '^src/plan/'),
      "The plan is pure data built from options; it may read the strategies' traits and the types below, never the engine or the commands.",
    ),
    layer(
      'strategies-import-below',
      '^src/strategies/',
      [...PROTOCOLS, '^src/metrics/', '^src/transport/'],
      'A strategy is one record of traits over a protocol; it does not read the plan or drive the engine.',
    ),
    layer(
      'http1-imports-below',
      '^src/http1/',
      ['^src/metrics/', '^src/transport/'],
      'A protocol codec runs over a socket it is handed (transport); it knows no strategy, and HTTP/1.x and HTTP/2 are independent of each other.',
    ),
    layer(
      'http2-imports-below',
      '^src/http2/',
      ['^src/metrics/', '^src/transport/'],
      'A protocol codec runs over a socket it is handed (transport); it knows no strategy, and HTTP/2 and HTTP/1.x are independent of each other.',
    ),
    layer(
      'metrics-imports-transport',
      '^src/metrics/',
      ['^src/transport/'],
      'Metrics record and merge timings (transport/timing.ts); they must not depend on the plan, the strategies, the engine or a protocol.',
    ),
    layer('transport-imports-nothing', '^src/transport/', [], 'transport/ is the bottom: it owns sockets and imports no other project folder.'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies between layers too.
    tsPreCompilationDeps: true,
    // Module resolution as the build does it (NodeNext: ./x.js is x.ts).
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
