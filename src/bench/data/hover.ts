import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Case } from '../../task/schema.ts';
import { normalizeText } from '../metrics/normalize.ts';
import { uniqueByNormalizedTitle } from '../metrics/retrieval.ts';
import { HOTPOTQA_FILES, paragraphText, readHotpotParagraphs } from './hotpotqa.ts';
import { readJson } from './io.ts';
import { seededShuffle } from './shuffle.ts';
import type { BuildOptions, TaskSplits } from './types.ts';

const ClaimSchema = z.object({
  uid: z.string(),
  claim: z.string(),
  supporting_facts: z.array(z.tuple([z.string(), z.number().int()])),
  label: z.enum(['SUPPORTED', 'NOT_SUPPORTED']),
  num_hops: z.number().int(),
  hpqa_id: z.string(),
});

const DEV_FILE = 'hover_dev_release_v1.1.json';
const COVERED_FILE = 'hover_dev_uids_covered_by_hotpotqa_corpus.txt';

/** GEPA's 150 / 300 / 300 proportions applied to the 151 covered claims. */
export function hoverSplitSizes(pool: number): { train: number; val: number; test: number } {
  const train = Math.round(pool / 5);
  const val = Math.round((pool * 2) / 5);
  return { train, val, test: pool - train - val };
}

export function buildHoverSplits({ benchmarksDir, seed = 0 }: BuildOptions): TaskSplits {
  const sourceDir = join(benchmarksDir, 'hover', 'source');
  const claims = readJson(join(sourceDir, DEV_FILE), z.array(ClaimSchema));
  const covered = new Set(
    readFileSync(join(sourceDir, COVERED_FILE), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  // Supporting-fact sentence indices refer to these paragraphs' sentences (checked in range upstream).
  const hotpotParagraphs = readHotpotParagraphs(join(benchmarksDir, 'hotpotqa', 'source'));
  const byTitle = new Map(hotpotParagraphs.map((p) => [normalizeText(p.title), p]));
  const sentencesOf = (title: string) => byTitle.get(normalizeText(title))?.sentences ?? [];
  const goldDocument = (title: string) => {
    const p = byTitle.get(normalizeText(title));
    return { title: p?.title ?? title, text: p ? paragraphText(p.sentences) : '' };
  };

  const pool = claims.filter((c) => covered.has(c.uid));
  const toCase = (c: (typeof pool)[number]): Case => {
    const supportingTitles = uniqueByNormalizedTitle(c.supporting_facts.map(([t]) => t));
    return {
      id: c.uid,
      input: { claim: c.claim },
      expected: { supportingTitles },
      metadata: {
        supportingTitles,
        supportingFacts: c.supporting_facts.map(([title, sentId]) => ({
          title,
          sentId,
          sentence: sentencesOf(title)[sentId],
        })),
        goldDocuments: supportingTitles.map(goldDocument),
        label: c.label,
        numHops: c.num_hops,
        hpqaId: c.hpqa_id,
      },
    };
  };
  const sizes = hoverSplitSizes(pool.length);
  const shuffled = seededShuffle(pool, seed).map(toCase);
  return {
    task: 'hover',
    seed,
    splits: {
      train: shuffled.slice(0, sizes.train),
      val: shuffled.slice(sizes.train, sizes.train + sizes.val),
      test: shuffled.slice(sizes.train + sizes.val),
    },
    // The corpus is the HotpotQA task's data/corpus.jsonl (the manifest points there): shipped once.
    extraFiles: [],
    sources: [DEV_FILE, COVERED_FILE, ...Object.values(HOTPOTQA_FILES).map((f) => `../../hotpotqa/source/${f}`)],
    deviations: [
      'HoVer train (18,171 claims) and its Wikipedia corpus are not available offline. The only scorable pool is the **151 dev claims** whose gold titles are all in the HotpotQA paragraph corpus; all other dev claims are dropped (their gold documents exist in no local corpus) and the unlabelled test release is unused.',
      `All 151 claims are used, mixing 2-, 3- and 4-hop claims (${pool.filter((c) => c.num_hops === 2).length} / ${pool.filter((c) => c.num_hops === 3).length} / ${pool.filter((c) => c.num_hops === 4).length}); GEPA kept only claims with exactly 3 unique supporting documents, which here would leave 56. The hop count is in \`metadata.numHops\` for per-hop reporting.`,
      `GEPA's 150 / 300 / 300 become ${sizes.train} / ${sizes.val} / ${sizes.test} (the same 1 : 2 : 2 proportions), drawn from one seeded shuffle (seed ${seed}) of the pool in file order. GEPA drew train and validation from HoVer train and test from HoVer validation; here all three come from HoVer dev.`,
      'Retrieval is over the reduced 10,785-paragraph HotpotQA corpus (the HotpotQA task\'s `data/corpus.jsonl`, which the manifest points to: `../hotpotqa/data/corpus.jsonl`), not wiki17 abstracts. Report every number as "151-claim subset, reduced 10,785-paragraph corpus"; it is not comparable with the paper\'s HoVer numbers.',
      "The metric counts at most the baseline's 7 + 7 + 10 = 24 retrieved passages (`HOVER_MAX_COUNTED_PASSAGES`), so retrieving more cannot raise the score.",
    ],
  };
}
