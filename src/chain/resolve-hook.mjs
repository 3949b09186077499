// Node module-resolution hook: lets task code `import ... from 'fapo'` wherever the workspace lives
// (a temp dir, a user folder without node_modules) by mapping the bare specifier to fapo's authoring API.
let target;
export function initialize(data) {
  target = data.url;
}
export async function resolve(specifier, context, next) {
  if (specifier === 'fapo') return { url: target, shortCircuit: true, format: 'module' };
  return next(specifier, context);
}
