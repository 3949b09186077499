import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { moduleFingerprint } from '../task/fingerprint.ts';
import type { Task } from '../task/load.ts';
import { FapoError } from '../util/errors.ts';
import { canonicalHash, sha256 } from '../util/hash.ts';
import type { Store } from './store.ts';
import type { Variant } from './types.ts';

export type VariantContent = Pick<Variant, 'chainPath' | 'chainSource' | 'prompts' | 'params'>;

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

/**
 * Makes sure the variant's chain file on disk is exactly the recorded source: variants are
 * immutable, so a file edited after it was recorded is refused rather than silently run.
 */
export function materializeChain(taskDir: string, variant: VariantContent): string {
  const abs = join(taskDir, variant.chainPath);
  if (!existsSync(abs)) {
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, variant.chainSource, { flag: 'wx' });
  } else if (readFileSync(abs, 'utf8') !== variant.chainSource) {
    throw new FapoError(
      `${abs}: the file differs from the chain recorded for this variant`,
      'Variants are immutable: put changes in a new chain file (or revert the edit), then evaluate that.',
    );
  }
  return abs;
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

/**
 * Finds a variant by reference (hash, prefix, `v3`), or registers the workspace's current files as
 * the baseline variant when no reference is given.
 */
export function resolveVariant(store: Store, task: Task, ref?: string): Variant {
  if (ref) {
    const v = store.getVariant(ref);
    if (!v)
      throw new FapoError(
        `no variant "${ref}" in ${task.dir}`,
        'List variants with `fapo variants <task>`; the baseline is v1.',
      );
    return v;
  }
  return store.putVariant(baselineVariant(task));
}
