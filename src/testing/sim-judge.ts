/**
 * The `sim:judge` behaviour: a deterministic toy grader for judge scorers (defineJudgeScorer), used by
 * the feedback walkthrough and tests. It is NOT a language model and no evidence of how a real judge
 * grades. It reads the numbered criteria and the OUTPUT block of a judge request and decides each by
 * keywords: a criterion about a next step is met when the output states "Next step:", one about the
 * policy when the output cites a policy section, one about politeness when it thanks the customer;
 * any other criterion is met by a non-empty output.
 */
import type { SimCall } from '../models/sim.ts';

function decide(criterion: string, output: string): { met: boolean; reason: string } {
  if (/next step/i.test(criterion))
    return /Next step:/.test(output)
      ? { met: true, reason: 'states a next step' }
      : { met: false, reason: 'gives the customer no next step' };
  if (/polic/i.test(criterion))
    return /policy section/i.test(output)
      ? { met: true, reason: 'cites the policy section' }
      : { met: false, reason: 'cites no policy' };
  if (/polite|thank|courte/i.test(criterion))
    return /thank/i.test(output) ? { met: true, reason: 'thanks the customer' } : { met: false, reason: 'curt' };
  return output.trim() ? { met: true, reason: 'answers' } : { met: false, reason: 'empty output' };
}

export function simJudge(call: SimCall): object {
  const request = [...call.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const criteria =
    /CRITERIA:\n([\s\S]*?)\n\n/
      .exec(request)?.[1]
      ?.split('\n')
      .map((l) => l.replace(/^\d+\.\s*/, '')) ?? [];
  const output = /OUTPUT:\n<<<\n([\s\S]*?)\n>>>/.exec(request)?.[1] ?? '';
  return { criteria: criteria.map((c) => decide(c, output)) };
}
