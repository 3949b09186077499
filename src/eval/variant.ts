import { materializeChain } from '../chain/materialize.ts';
import type { ChainContent } from '../chain/types.ts';
import { moduleFingerprint } from '../task/fingerprint.ts';
import type { Task } from '../task/load.ts';
import { FapoError } from '../util/errors.ts';
import { canonicalHash, sha256 } from '../util/hash.ts';
import type { Variant } from './types.ts';

export type VariantContent = ChainContent;

/** The content hash that identifies a variant: same chain, prompts and params → same variant. */
export function variantHash(v: VariantContent): string {
  return canonicalHash({ chainPath: v.chainPath, chainSource: v.chainSource, prompts: v.prompts, params: v.params });
}

export function baselineVariant(task: Task): Omit<Variant, 'seq' | 'createdAt'> {
  const content = {
    chainPath: task.chainPath,
    chainSource: task.chainSource,
    prompts: task.prompts,
    params: task.params,
  };
  return { ...content, hash: variantHash(content), parent: null, level: 'baseline', createdBy: 'workspace' };
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
