/**
 * The layers of src/ and the rules between them (docs/ARCHITECTURE.md explains them). `npm test`
 * runs this check before jest, so an import against a rule fails the tests naming the rule.
 * Each layer may import only from layers below it:
 *   config, logging  <  platform  <  clients  <  engine  <  importers  <  http  <  composition
 * (composition: service.ts, job-service.ts, engine-composition.ts and the entry points server.ts,
 * job-server.ts and cli/)
 * Mappers stand apart: pure, they import only other mappers, config and types; importers use them.
 */
const layer = (name) => `^src/${name}/`;

/** Rule `name`: modules whose path matches `from` may not import modules whose path matches `notTo`. */
const forbid = (name, from, notTo, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: notTo },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules import each other in a circle; move the shared part into a module both import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    forbid(
      'src-stands-alone',
      '^src/',
      '^(sandbox|test|bench)/',
      'The shipped service never imports the sandbox, the tests or the benchmark.',
    ),
    forbid(
      'sandbox-below-bench',
      '^sandbox/',
      '^(bench|test)/',
      'The sandbox serves tests, demo and bench; it imports none of them.',
    ),
    forbid(
      'tests-apart-from-bench',
      '^test/',
      '^bench/',
      'Tests and the benchmark both use the sandbox; neither imports the other.',
    ),
    forbid(
      'foundation-imports-nothing',
      '^src/(config|logging)/',
      '^src/(?!config/|logging/)',
      'config/ and logging/ are the bottom layer: they import only each other.',
    ),
    {
      name: 'mappers-are-pure',
      comment:
        'Mappers are pure functions: they import only other mappers, config, and types (such as the shape a client sends).',
      severity: 'error',
      from: { path: layer('mappers') },
      to: { path: '^src/(?!mappers/|config/)', dependencyTypesNot: ['type-only'] },
    },
    forbid(
      'platform-below-clients',
      layer('platform'),
      '^src/(?!platform/|config/|logging/)',
      'platform/ (retry, rate limiting, request scope, platform errors, job following) serves clients and engine; it imports neither.',
    ),
    forbid(
      'clients-below-engine',
      layer('clients'),
      '^src/(?!clients/|platform/|config/|logging/)',
      'Clients are thin: they import platform/, config and logging, never the engine, importers, mappers or http.',
    ),
    forbid(
      'engine-below-importers',
      layer('engine'),
      '^src/(?!engine/|clients/|platform/|config/|logging/)',
      'The engine runs any importer: it never imports importers, mappers or http.',
    ),
    forbid(
      'importers-below-http',
      layer('importers'),
      '^src/(http/|runtime/|service|server|readiness)',
      'Importers know nothing of HTTP or of how the service is put together.',
    ),
    forbid(
      'http-through-engine',
      layer('http'),
      '^src/(clients|importers|mappers|runtime)/|^src/(service|server)\\.ts$',
      'http/ talks to the engine (and readiness), never to clients, importers or mappers.',
    ),
    forbid(
      'runtime-alone',
      layer('runtime'),
      '^src/(?!runtime/|logging/|config/)',
      'runtime/ holds process concerns; it imports only logging and config.',
    ),
    {
      name: 'composition-root-on-top',
      comment:
        'The entry points (server.ts, job-server.ts, cli/) and the modules that put the service and the job together (service.ts, job-service.ts, engine-composition.ts) sit on top; nothing else in src/ imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/((server|job-server|service|job-service)\\.ts$|cli/)' },
      to: { path: '^src/((server|job-server|service|job-service|engine-composition)\\.ts$|cli/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Only what the rules look at: no npm package is resolved into its own files.
    externalModuleResolutionStrategy: 'node_modules',
    moduleSystems: ['cjs', 'es6'],
    cache: false,
  },
};
