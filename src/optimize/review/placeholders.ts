/** Check 3, placeholder integrity: templates keep their `${...}` names and reference what exists. */
import { isToolDescription } from '../../chain/tools/descriptions.ts';
import type { ParsedChain } from './chain-ast.ts';
import { placeholders, referenceParts, TEMPLATE_ROOTS } from './template-refs.ts';
import type { CheckResult, Proposal } from './types.ts';
import { checkResult } from './verdict.ts';

function compareWithParent(name: string, before: string, after: string, block: string[]): void {
  const old = placeholders(before);
  const now = placeholders(after);
  const added = [...now].filter((p) => !old.has(p));
  const removed = [...old].filter((p) => !now.has(p));
  const list = (xs: string[]): string => xs.map((x) => `\${${x}}`).join(', ');
  if (added.length > 0 && removed.length > 0)
    block.push(`prompt '${name}': placeholder(s) ${list(removed)} renamed to ${list(added)}`);
  else if (added.length > 0) block.push(`prompt '${name}': placeholder(s) ${list(added)} added`);
  else if (removed.length > 0) block.push(`prompt '${name}': placeholder(s) ${list(removed)} removed`);
}

function referenceFindings(
  where: string,
  template: string,
  chain: ParsedChain,
  params: Record<string, unknown>,
  block: string[],
  warn: string[],
): void {
  const stepNames = new Set(chain.steps.map((s) => s.name));
  for (const ref of placeholders(template)) {
    const { root, key } = referenceParts(ref);
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(root)) {
      block.push(`${where}: \${${ref}} has unknown root '${root}' (allowed: ${TEMPLATE_ROOTS.join(', ')})`);
    } else if (root === 'steps' && (key === undefined || !stepNames.has(key))) {
      block.push(`${where}: \${${ref}} references step '${key ?? ''}', which the chain does not declare`);
    } else if (root === 'params' && (key === undefined || !(key in params))) {
      warn.push(`${where}: \${${ref}} references param '${key ?? ''}', which is not set`);
    }
  }
}

export function checkPlaceholders(proposal: Proposal, chain: ParsedChain): CheckResult {
  const block: string[] = [];
  const warn: string[] = [];
  const { parent } = proposal;
  const structural = proposal.level === 'structure';
  const templated = chain.steps.filter((s) => s.kind === 'llm' || s.kind === 'agent');
  const used = new Set(templated.map((s) => s.prompt!));

  for (const [name, template] of Object.entries(proposal.prompts)) {
    const before = parent.prompts[name];
    if (before !== undefined) compareWithParent(name, before, template, block);
    else if (!structural) block.push(`prompt '${name}' is new; only structure-level proposals may add templates`);
    else if (!used.has(name) && !isToolDescription(name))
      warn.push(`prompt '${name}' is new but no llm or agent step uses it`);
    referenceFindings(`prompt '${name}'`, template, chain, proposal.params, block, warn);
  }
  for (const name of Object.keys(parent.prompts)) {
    if (name in proposal.prompts) continue;
    if (!structural) block.push(`prompt '${name}' was removed; only structure-level proposals may drop templates`);
  }
  for (const step of chain.steps) {
    if (templated.includes(step) && !(step.prompt! in proposal.prompts))
      block.push(
        `${step.kind} step '${step.name}' (line ${step.line}) uses template '${step.prompt}', which the proposal does not provide`,
      );
    if (step.kind === 'retrieve' && step.query !== undefined) {
      referenceFindings(`retrieve '${step.name}' query`, step.query, chain, proposal.params, block, warn);
    }
  }
  return checkResult('placeholders', { block, warn });
}
