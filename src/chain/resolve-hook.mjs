// Node module-resolution hook: lets task code `import ... from 'fapo'` wherever the workspace lives
// (a temp dir, a user folder without node_modules) by mapping the bare specifier to fapo's authoring API;
// `fapo/bench` maps to the benchmark scorers (scorers run in the parent, never in the chain sandbox).
let targets = {};
export function initialize(data) {
  targets = data.targets;
}
export async function resolve(specifier, context, next) {
  if (Object.hasOwn(targets, specifier)) return { url: targets[specifier], shortCircuit: true, format: 'module' };
  return next(specifier, context);
}
