// The package layering and "no import cycles", checked by `npm run lint:deps` (part of `npm run lint`).
// dependency-cruiser rather than eslint-plugin-import: one pass over the whole graph finds cycles
// across files and packages in about a second, where import/no-cycle re-walks it per file, per package.
// Type-only imports count too: a cycle or an upward import through a type is still one in the design.

const drivers = 'driver-cgroup-[^/]+|fs-overlay|net-bridge|registry-oci|volume-local';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules import each other: move the shared piece to the module (or package) it belongs to.',
      from: { path: '^packages/[^/]+/src/' },
      to: { circular: true },
    },
    {
      name: 'core-stands-alone',
      severity: 'error',
      comment:
        '@koker/core holds the contracts everything else builds on: no other @koker package, and of npm only tsyringe and reflect-metadata (node: built-ins are fine).',
      from: { path: '^packages/core/src/' },
      to: { path: ['^packages/(?!core/)', 'node_modules/(?!(tsyringe|reflect-metadata)/)'] },
    },
    {
      name: 'host-and-log-build-on-core-only',
      severity: 'error',
      comment: '@koker/host and @koker/log import no @koker package but @koker/core.',
      from: { path: '^packages/(host|log)/src/' },
      to: { path: '^packages/', pathNot: '^packages/(core|$1)/' },
    },
    {
      name: 'mechanics-build-on-core-and-host-only',
      severity: 'error',
      comment:
        '@koker/cgroups, @koker/image-store and @koker/engine import no @koker package but core and host.',
      from: { path: '^packages/(cgroups|image-store|engine)/src/' },
      to: { path: '^packages/', pathNot: '^packages/(core|host|$1)/' },
    },
    {
      name: 'the-builder-builds-on-the-mechanics',
      severity: 'error',
      comment:
        '@koker/builder (the Dockerfile frontend and image builder) imports core, host, image-store and engine; the CLI hands it what needs drivers.',
      from: { path: '^packages/builder/src/' },
      to: { path: '^packages/', pathNot: '^packages/(core|host|image-store|engine|builder)/' },
    },
    {
      name: 'drivers-stay-below-the-engine',
      severity: 'error',
      comment: 'A driver imports neither the engine, the image store, the CLI nor another driver.',
      from: { path: `^packages/(${drivers})/src/` },
      to: { path: `^packages/(engine|image-store|cli|${drivers})/`, pathNot: '^packages/$1/' },
    },
    {
      name: 'only-the-cli-picks-drivers',
      severity: 'error',
      comment: '@koker/cli is the composition root: no other package imports a driver.',
      from: { path: '^packages/', pathNot: `^packages/(cli|${drivers})/` },
      to: { path: `^packages/(${drivers})/` },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'An import the checker cannot resolve would slip past every rule above.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    // @koker/* resolve through their `koker-source` export to src/*.ts, as tsc and vitest do.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['koker-source', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types'],
    },
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
    progress: { type: 'none' },
  },
};
