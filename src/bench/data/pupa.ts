import { join } from 'node:path';
import { z } from 'zod';
import type { Case } from '../../task/schema.ts';
import { parsePiiUnits } from '../metrics/pupa.ts';
import { readDelimited } from './io.ts';
import { seededShuffle } from './shuffle.ts';
import type { BuildOptions, TaskSplits } from './types.ts';

const RowSchema = z.object({
  conversation_hash: z.string(),
  predicted_category: z.string(),
  user_query: z.string(),
  target_response: z.string(),
  pii_units: z.string(),
  redacted_query: z.string(),
});

const FILE = 'PUPA_New.csv';
const SIZES = { train: 111, val: 111, test: 221 } as const;

export function buildPupaSplits({ benchmarksDir, seed = 0 }: BuildOptions): TaskSplits {
  const rows = readDelimited(join(benchmarksDir, 'pupa', 'source', FILE), ',', RowSchema);
  // conversation_hash repeats (430 distinct in 664 rows), so the id is the data-row number in the CSV.
  const cases: Case[] = rows.map((r, i) => ({
    id: `pupa_new-${i}`,
    input: { userQuery: r.user_query },
    expected: { targetResponse: r.target_response, piiUnits: parsePiiUnits(r.pii_units) },
    metadata: {
      conversationHash: r.conversation_hash,
      category: r.predicted_category,
      referenceRedactedQuery: r.redacted_query,
    },
  }));
  const shuffled = seededShuffle(cases, seed);
  return {
    task: 'pupa',
    seed,
    splits: {
      train: shuffled.slice(0, SIZES.train),
      val: shuffled.slice(SIZES.train, SIZES.train + SIZES.val),
      test: shuffled.slice(SIZES.train + SIZES.val, SIZES.train + SIZES.val + SIZES.test),
    },
    extraFiles: [],
    sources: [FILE],
    deviations: [
      `GEPA's sizes (111 / 111 / 221 from PUPA_New) are kept, but how GEPA drew them is not recorded and the CSV row order may differ from HF's, so the split is a seeded shuffle (seed ${seed}) of the 664 CSV rows; the remaining ${rows.length - SIZES.train - SIZES.val - SIZES.test} rows are unused. Case ids are \`pupa_new-<data row>\` because conversation_hash is not unique.`,
      'Both metric parts need an LLM judge in GEPA/PAPILLON. Declare the judge model with every number. Leakage may instead be counted deterministically (PII units appearing verbatim, case-insensitively, in the request: `countLeakedUnits`); say which was used.',
      'The untrusted-model node uses the same task model as the other nodes (as FAPO did), not GPT-4.1-mini as in GEPA.',
      'The data contains real, partly anonymised PII-like text from WildChat: keep it out of logs and public artifacts.',
    ],
  };
}
