import type { Task } from '../task/load.ts';
import { FapoError } from '../util/errors.ts';
import type { Store } from './store.ts';
import type { Variant } from './types.ts';
import { baselineVariant } from './variant.ts';

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
