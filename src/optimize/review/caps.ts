/**
 * Retrieval, agent-loop and parameter caps. The static check catches what can be seen in the source; the
 * runtime guard (`enforceRetrievalCaps`) is the hard guarantee for everything else.
 */
import type { ParsedChain, StaticValue } from './chain-ast.ts';
import { referenceParts } from './template-refs.ts';
import type { CheckResult, Proposal } from './types.ts';
import { checkResult } from './verdict.ts';

export type Caps = Record<string, number>;

const RUNTIME_NOTE = 'enforced at run time by enforceRetrievalCaps';

/** Resolves a step's numeric setting (`k`, `maxSteps`): a number, or `${params.x}` read from the proposal's params. */
function resolveSetting(field: string, v: StaticValue | undefined, params: Record<string, unknown>): number | string {
  if (!v) return `${field} is missing`;
  if (!v.known) return `${field} is the expression \`${v.text}\``;
  if (typeof v.value === 'number') return v.value;
  const whole = /^\s*\$\{([^{}]+)\}\s*$/.exec(v.value);
  if (whole) {
    const { root, key } = referenceParts(whole[1]!.trim());
    if (root === 'params' && key !== undefined) {
      const value = params[key];
      return typeof value === 'number'
        ? value
        : `${field} is \${params.${key}}, which is ${value === undefined ? 'not set' : 'not a number'}`;
    }
    return `${field} is the template '${v.value}', known only at run time`;
  }
  const n = Number(v.value);
  return Number.isFinite(n) && v.value.trim() !== '' ? n : `${field} is '${v.value}', not a number`;
}

/** The playbook's `maxSteps` cap bounds every agent step's tool loop (the runtime enforces the step's own bound). */
function agentStepFindings(
  caps: Caps,
  chain: ParsedChain,
  params: Record<string, unknown>,
  block: string[],
  warn: string[],
  info: string[],
): void {
  const cap = caps.maxSteps;
  if (cap === undefined) return;
  for (const step of chain.steps.filter((s) => s.kind === 'agent')) {
    const maxSteps = resolveSetting('maxSteps', step.maxSteps, params);
    const where = `agent '${step.name}' (line ${step.line})`;
    if (typeof maxSteps === 'string') warn.push(`${where}: ${maxSteps}; the maxSteps cap cannot be checked statically`);
    else if (maxSteps > cap) block.push(`${where} has maxSteps = ${maxSteps} > maxSteps cap ${cap}`);
    else info.push(`${where}: maxSteps ${maxSteps} ≤ cap ${cap}`);
  }
}

function paramCapFindings(caps: Caps, params: Record<string, unknown>, block: string[], info: string[]): void {
  for (const [name, cap] of Object.entries(caps)) {
    if (!(name in params)) continue;
    const v = params[name];
    if (typeof v !== 'number')
      block.push(`param '${name}' is capped at ${cap} but is not a number (${JSON.stringify(v)})`);
    else if (v > cap) block.push(`param '${name}' = ${v} exceeds the cap ${cap}`);
    else info.push(`param '${name}' = ${v} ≤ cap ${cap}`);
  }
}

export function checkCaps(proposal: Proposal, caps: Caps, chain: ParsedChain): CheckResult {
  const block: string[] = [];
  const warn: string[] = [];
  const info: string[] = [];
  paramCapFindings(caps, proposal.params, block, info);
  agentStepFindings(caps, chain, proposal.params, block, warn, info);
  const { passagesPerHop, hops, totalPassages } = caps;
  if (passagesPerHop === undefined && hops === undefined && totalPassages === undefined)
    return checkResult('caps', { block, warn, info });

  const kOf = new Map<string, number | null>();
  for (const step of chain.steps.filter((s) => s.kind === 'retrieve')) {
    const k = resolveSetting('k', step.k, proposal.params);
    kOf.set(step.name, typeof k === 'number' ? k : null);
    if (typeof k === 'string')
      warn.push(`retrieve '${step.name}' (line ${step.line}): ${k}; passages per hop ${RUNTIME_NOTE}`);
    else if (passagesPerHop !== undefined && k > passagesPerHop)
      block.push(`retrieve '${step.name}' (line ${step.line}) has k = ${k} > passagesPerHop cap ${passagesPerHop}`);
  }
  for (const problem of chain.problems) warn.push(`${problem}; caps ${RUNTIME_NOTE}`);

  // Hops and total passages: sum over retrieve executions (or executions whose step is unknown).
  let knownHops = 0;
  let knownPassages = 0;
  let hopsBounded = true;
  let passagesBounded = true;
  for (const ex of chain.executions) {
    if (ex.step !== null && !kOf.has(ex.step)) continue;
    if (ex.step === null) {
      hopsBounded = passagesBounded = false;
      warn.push(
        `${ex.unbounded ?? `line ${ex.line}: run() with a non-literal step name may run a retrieve step`}; hops ${RUNTIME_NOTE}`,
      );
      continue;
    }
    if (ex.multiplicity === null) {
      hopsBounded = passagesBounded = false;
      if (hops !== undefined || totalPassages !== undefined)
        warn.push(`${ex.unbounded ?? `line ${ex.line}: unbounded`}; hops and total passages ${RUNTIME_NOTE}`);
      continue;
    }
    knownHops += ex.multiplicity;
    const k = kOf.get(ex.step);
    if (k === null || k === undefined) passagesBounded = false;
    else knownPassages += ex.multiplicity * k;
  }
  if (hops !== undefined) {
    if (knownHops > hops)
      block.push(
        `the chain runs ${knownHops}${hopsBounded ? '' : '+'} retrieve executions per case > hops cap ${hops}`,
      );
    else if (hopsBounded) info.push(`${knownHops} retrieve execution(s) per case ≤ hops cap ${hops}`);
  }
  if (totalPassages !== undefined) {
    if (knownPassages > totalPassages)
      block.push(
        `the chain retrieves ${knownPassages}${passagesBounded ? '' : '+'} passages per case > totalPassages cap ${totalPassages}`,
      );
    else if (passagesBounded) info.push(`${knownPassages} passages per case ≤ totalPassages cap ${totalPassages}`);
    else warn.push(`total passages cannot be bounded statically; ${RUNTIME_NOTE}`);
  }
  return checkResult('caps', { block, warn: [...new Set(warn)], info });
}
