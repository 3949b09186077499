/** Check: no validation or test case (answer or input) appears in anything the variant runs. */
import type { LeakageOracle } from './leakage-oracle.ts';
import type { CheckResult, Proposal } from './types.ts';
import { checkResult } from './verdict.ts';
import { scanVariant } from './variant-texts.ts';

export function checkLeakage(proposal: Proposal, heldOut: LeakageOracle): CheckResult {
  const block: string[] = [];
  const warn: string[] = [];
  const hits = scanVariant(proposal, proposal.parent, heldOut, { prompts: true, chainSource: true, params: true });
  for (const h of hits) {
    const what = h.field.startsWith('expected') ? 'answer' : 'input';
    const line = `${h.location} contains the ${what} of ${h.split} case ${h.caseId} (${h.field})`;
    if (h.inherited) warn.push(`${line}; inherited from the parent, not introduced by this proposal`);
    else block.push(`${line}: held-out data must never reach a variant`);
  }
  return checkResult('leakage', { block, warn });
}
