/**
 * fapo's layers, enforced by test/architecture/layers.test.ts. A module may import from its own
 * layer and the layers before it in this list, never from a later one, and never in a cycle:
 *   util → models, retrieval → chain → task → eval → scale → assets → attribution → optimize → bench → cli, ui, testing
 * (testing holds the offline sim stand-ins, the `fapo/testing` entry; only the CLI installs them).
 * The public entry points src/index.ts and src/authoring.ts sit on top; nothing inside src imports them.
 */
const LAYERS = [
  ['util', 'version'],
  ['models', 'retrieval'],
  ['chain'],
  ['task'],
  ['eval'],
  // scale-out: BullMQ dispatch of evaluation cases and the worker that runs them (uses eval)
  ['scale'],
  // fapo assets: traces and feedback to evaluation sets (uses eval's store and task schemas)
  ['assets'],
  ['attribution'],
  ['optimize'],
  ['bench'],
  ['cli', 'ui', 'testing'],
];

const folder = (name) => `^src/${name}(/|\\.)`;
const upward = LAYERS.slice(0, -1).flatMap((layer, i) =>
  layer.map((name) => ({
    name: `${name}-imports-upward`,
    comment: `src/${name} is in layer ${i}; it may not import from a later layer`,
    severity: 'error',
    from: { path: folder(name) },
    to: { path: LAYERS.slice(i + 1).flat().map(folder) },
  })),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'import cycles make layers meaningless and initialisation order fragile',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-public-entry-imports',
      comment: 'the public entry points re-export the layers; nothing inside src imports them',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(index|authoring)\\.ts$' },
      to: { path: '^src/(index|authoring)\\.ts$' },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.d.ts'] },
  },
};
