import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FapoError } from '../util/errors.ts';
import type { ChainContent } from './types.ts';

/**
 * Makes sure the variant's chain file on disk is exactly the recorded source: variants are
 * immutable, so a file edited after it was recorded is refused rather than silently run.
 */
export function materializeChain(taskDir: string, variant: ChainContent): string {
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
