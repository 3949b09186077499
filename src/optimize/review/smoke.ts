/** Records the controller's smoke run (a couple of train cases through the proposed variant). */
import { errorMessage } from '../../util/errors.ts';
import type { CheckResult, Proposal } from './types.ts';
import { checkResult } from './verdict.ts';

export type SmokeRunner = (proposal: Proposal) => Promise<{ ok: boolean; errors: string[] }>;

export async function runSmoke(proposal: Proposal, smoke: SmokeRunner | undefined): Promise<CheckResult> {
  if (!smoke)
    return checkResult('smoke', { warn: ['no smoke runner was provided; the variant was not run before evaluation'] });
  try {
    const { ok, errors } = await smoke(proposal);
    if (ok) return checkResult('smoke', { info: errors });
    return checkResult('smoke', {
      block: errors.length > 0 ? errors : ['the smoke run failed without an error message'],
    });
  } catch (err) {
    return checkResult('smoke', { block: [`the smoke run threw: ${errorMessage(err)}`] });
  }
}
