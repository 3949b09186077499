import { join } from 'node:path';
import { z } from 'zod';
import type { Case } from '../../task/schema.ts';
import { uniqueByNormalizedTitle } from '../metrics/retrieval.ts';
import { readJsonl } from './io.ts';
import { seededShuffle } from './shuffle.ts';
import type { BuildOptions, TaskSplits } from './types.ts';

const QuestionSchema = z.object({
  id: z.string(),
  question: z.string(),
  answer: z.string(),
  type: z.string(),
  level: z.string(),
  supporting_facts: z.object({ title: z.array(z.string()), sent_id: z.array(z.number().int()) }),
  context: z.object({ title: z.array(z.string()), sentences: z.array(z.array(z.string())) }),
});
type Question = z.infer<typeof QuestionSchema>;

export interface Paragraph {
  title: string;
  sentences: string[];
}

export const HOTPOTQA_FILES = {
  train: 'hotpot_distractor_val_sample_train.jsonl',
  val: 'hotpot_distractor_val_sample_dev.jsonl',
  test: 'hotpot_distractor_val_sample_test.jsonl',
} as const;
const SIZES = { train: 150, val: 300, test: 300 } as const;

/** The paragraph text as GEPA joins sentences: later sentences already start with a space. */
export const paragraphText = (sentences: readonly string[]): string => sentences.join('');

/** A HotpotQA case: the question only as input; the distractor `context` is used for gold evidence and never reaches the pipeline. */
function toCase(q: Question, file: string): Case {
  const paragraphs = new Map(q.context.title.map((t, i) => [t, q.context.sentences[i] ?? []]));
  const supportingFacts = q.supporting_facts.title.map((title, i) => {
    const sentId = q.supporting_facts.sent_id[i]!;
    return { title, sentId, sentence: paragraphs.get(title)?.[sentId] };
  });
  const supportingTitles = uniqueByNormalizedTitle(q.supporting_facts.title);
  return {
    id: q.id,
    input: { question: q.question },
    expected: { answer: q.answer },
    metadata: {
      supportingTitles,
      supportingFacts,
      goldDocuments: supportingTitles.map((title) => ({ title, text: paragraphText(paragraphs.get(title) ?? []) })),
      type: q.type,
      level: q.level,
      sourceFile: file,
    },
  };
}

/** Python's default string order (by code point); JS's default sort compares UTF-16 code units. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The retrieval corpus: the union of the 10 context paragraphs of all 1,100 questions (train, dev and
 * test sample files in that order; the first text seen for a title wins), sorted by title. This
 * reproduces the shared folder's derived `corpus_paragraphs.jsonl` exactly, so that file is not shipped.
 */
export function readHotpotParagraphs(sourceDir: string): Paragraph[] {
  const byTitle = new Map<string, string[]>();
  for (const file of Object.values(HOTPOTQA_FILES)) {
    for (const q of readJsonl(join(sourceDir, file), QuestionSchema)) {
      q.context.title.forEach((title, i) => {
        if (!byTitle.has(title)) byTitle.set(title, q.context.sentences[i] ?? []);
      });
    }
  }
  return [...byTitle].sort(([a], [b]) => compareCodePoints(a, b)).map(([title, sentences]) => ({ title, sentences }));
}

/** The shared retrieval corpus in the `{id, title, text}` form `openBm25Index` reads; titles are unique, so they serve as ids. */
export function toCorpusRows(paragraphs: readonly Paragraph[]): { id: string; title: string; text: string }[] {
  return paragraphs.map((p) => ({ id: p.title, title: p.title, text: paragraphText(p.sentences) }));
}

export function buildHotpotqaSplits({ benchmarksDir, seed = 0 }: BuildOptions): TaskSplits {
  const sourceDir = join(benchmarksDir, 'hotpotqa', 'source');
  const draw = (split: keyof typeof SIZES) => {
    const file = HOTPOTQA_FILES[split];
    const rows = readJsonl(join(sourceDir, file), QuestionSchema);
    const chosen = rows.length === SIZES[split] ? rows : seededShuffle(rows, seed).slice(0, SIZES[split]);
    return chosen.map((q) => toCase(q, file));
  };
  return {
    task: 'hotpotqa',
    seed,
    splits: { train: draw('train'), val: draw('val'), test: draw('test') },
    extraFiles: [{ name: 'corpus.jsonl', rows: toCorpusRows(readHotpotParagraphs(sourceDir)) }],
    sources: Object.values(HOTPOTQA_FILES),
    deviations: [
      'Questions come from the official HotpotQA **dev** set (distractor setting, all `level: hard`), not from the HF `hotpot_qa` fullwiki **train** set GEPA sampled. Three disjoint dev samples made by megagonlabs/RPT are used, one per split, never mixed.',
      `Sizes match GEPA (150 / 300 / 300): train = 150 drawn from the 300-question train sample, val = all 300 questions of the dev sample (file order), test = 300 drawn from the 500-question test sample; draws use seed ${seed} (seeded Fisher–Yates with the project LCG).`,
      'Retrieval runs over a reduced corpus of 10,785 paragraphs (the union of the 1,100 questions\' gold and distractor paragraphs, `data/corpus.jsonl`), not the ~5M-abstract wiki17 corpus. Retrieval is far easier; every number must say "reduced 10,785-paragraph corpus" and is not comparable with the paper tables.',
      'BM25 reproduces GEPA\'s bm25s setup (method "lucene", k1 0.9, b 0.4, bm25s\'s 33 English stop words, Snowball English stemming, documents "title | text"). Checked against Python bm25s 0.3.11 + PyStemmer 3.1.0 on the 750 split questions (top 7): scores agree within 1e-5 and rankings are identical except the order of exactly tied documents (12 questions), which bm25s leaves arbitrary and fapo breaks by corpus order.',
      'The `context` field (gold + distractor paragraphs) never reaches the pipeline: input is `{question}` only; gold titles, supporting-fact sentences and gold paragraph texts are in `metadata` for the scorer and feedback.',
    ],
  };
}
