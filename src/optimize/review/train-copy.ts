/** Check: training cases are never copied into prompts or chain code (few-shot must be synthetic). */
import type { LeakageOracle } from './leakage-oracle.ts';
import type { CheckResult, Proposal } from './types.ts';
import { checkResult } from './verdict.ts';
import { scanVariant, type LocatedHit } from './variant-texts.ts';

export function checkTrainCopy(proposal: Proposal, train: LeakageOracle): CheckResult {
  const hits = scanVariant(proposal, proposal.parent, train, { prompts: true, chainSource: true, params: false });
  const byCase = new Map<string, LocatedHit[]>();
  for (const h of hits) {
    const key = `${h.location}\u0000${h.caseId}`;
    byCase.set(key, [...(byCase.get(key) ?? []), h]);
  }
  const block: string[] = [];
  const warn: string[] = [];
  for (const caseHits of byCase.values()) {
    const inputs = caseHits.filter((h) => h.field.startsWith('input'));
    // A train answer on its own is ordinary vocabulary ("Paris"); only next to its own input is it a copied example.
    if (inputs.length === 0) continue;
    const { location, caseId } = inputs[0]!;
    const withAnswer = caseHits.some((h) => h.field.startsWith('expected'));
    const line = `${location} contains the input of train case ${caseId} (${inputs.map((h) => h.field).join(', ')})${withAnswer ? ' together with its expected answer' : ''}`;
    if (inputs.every((h) => h.inherited)) warn.push(`${line}; inherited from the parent`);
    else block.push(`${line}: never use training examples as few-shot demonstrations; write synthetic ones`);
  }
  return checkResult('train-copy', { block, warn });
}
