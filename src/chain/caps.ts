import { FapoError } from '../util/errors.ts';
import type { RetrievalGuard } from './host.ts';

/** Playbook caps the runtime enforces on every retrieval, whatever the chain code does. */
export interface RetrievalCaps {
  passagesPerHop?: number;
  hops?: number;
  totalPassages?: number;
}

export class RetrievalCapError extends FapoError {
  constructor(message: string) {
    super(message, 'The playbook caps retrieval so a recall metric cannot be won by retrieving more.');
    this.name = 'RetrievalCapError';
  }
}

/** The hard guarantee behind the reviewer's static cap check: called before every retrieve execution. */
export function enforceRetrievalCaps(caps: Record<string, number>): RetrievalGuard {
  const { passagesPerHop, hops, totalPassages } = caps as RetrievalCaps;
  return (k, hopIndex, totalSoFar) => {
    if (!Number.isInteger(k) || k < 0)
      throw new RetrievalCapError(`retrieve k must be a non-negative integer, got ${k}`);
    if (passagesPerHop !== undefined && k > passagesPerHop)
      throw new RetrievalCapError(`retrieve k = ${k} exceeds passagesPerHop cap ${passagesPerHop}`);
    if (hops !== undefined && hopIndex >= hops)
      throw new RetrievalCapError(`retrieval #${hopIndex + 1} exceeds hops cap ${hops}`);
    if (totalPassages !== undefined && totalSoFar + k > totalPassages) {
      throw new RetrievalCapError(
        `retrieving ${k} more passages (${totalSoFar} so far) exceeds totalPassages cap ${totalPassages}`,
      );
    }
  };
}
