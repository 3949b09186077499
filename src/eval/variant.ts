import { materializeChain } from '../chain/materialize.ts';
import type { ChainContent } from '../chain/types.ts';
import { moduleFingerprint } from '../task/fingerprint.ts';
import { baselineChain, type TaskFiles } from '../task/load.ts';
import { FapoError } from '../util/errors.ts';
import { sha256 } from '../util/hash.ts';
import type { Variant } from './types.ts';

export type VariantContent = ChainContent;

export { variantHash } from '../chain/variant-hash.ts';

export function baselineVariant(task: TaskFiles): Omit<Variant, 'seq' | 'createdAt'> {
  return { ...baselineChain(task), parent: null, level: 'baseline', createdBy: 'workspace' };
}

const chainFingerprints = new Map<string, Promise<string>>();

/**
 * The fingerprint (src/task/fingerprint.ts) of a variant's chain with the workspace files it imports:
 * part of a run's identity, so a changed helper module gives a new run rather than old results.
 * Computed once per chain file and process (prompt and parameter variants share their chain).
 */
export function chainFingerprint(taskDir: string, variant: VariantContent): Promise<string> {
  const abs = materializeChain(taskDir, variant);
  const key = `${abs}\u0000${sha256(variant.chainSource)}`;
  let fingerprint = chainFingerprints.get(key);
  if (!fingerprint) {
    fingerprint = moduleFingerprint(abs).catch((err: Error) => {
      chainFingerprints.delete(key);
      throw new FapoError(`${abs}: the chain module does not compile: ${err.message}`);
    });
    chainFingerprints.set(key, fingerprint);
  }
  return fingerprint;
}
