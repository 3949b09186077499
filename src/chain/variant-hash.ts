import { canonicalHash } from '../util/hash.ts';
import type { ChainContent } from './types.ts';

/** The content hash that identifies a variant: same chain, prompts and params → same variant. */
export function variantHash(v: ChainContent): string {
  return canonicalHash({ chainPath: v.chainPath, chainSource: v.chainSource, prompts: v.prompts, params: v.params });
}
