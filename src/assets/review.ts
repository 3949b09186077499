/**
 * The human gate. `fapo assets run` writes review.yaml: the criteria the feedback named (each with
 * its provenance), the clusters with their rubric and an example, the gaps that need labels, and the
 * contradictions to settle. People edit it (drop a criterion or a cluster, settle a verdict), then
 * finalize with the fingerprint `fapo assets review` prints for the file as they left it: a file
 * changed after it was reviewed is refused, so what was checked is what ships.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { FapoError } from '../util/errors.ts';
import { canonicalHash } from '../util/hash.ts';
import { parseYamlFile } from '../util/yaml.ts';
import { inputText } from './cluster.ts';
import { criterionText } from './feedback.ts';
import {
  type AssetResult,
  type AssetState,
  readAssetState,
  REVIEW_FILE,
  type Review,
  ReviewSchema,
  type SplitCase,
  writeAssetState,
} from './pipeline.ts';
import type { AssetConfig } from './schema.ts';

const EXAMPLE_CHARS = 240;

export function buildReview(result: AssetResult, config: AssetConfig): Review {
  const byId = new Map(result.traces.map((t) => [t.id, t]));
  const example = (id: string) => inputText(byId.get(id)!.input).slice(0, EXAMPLE_CHARS);
  return {
    guideline: config.guideline,
    criteria: result.feedback.criteria.map((c) => ({ id: c.id, text: c.text, kind: c.kind, from: c.from, keep: true })),
    clusters: result.clusters
      .filter((c) => result.match.matched.includes(c.id))
      .map((c) => ({
        id: c.id,
        size: c.members.length,
        terms: c.terms,
        example: example(c.representative),
        rubric: result.rubrics[c.id] ?? [],
        include: true,
      })),
    gaps: result.clusters
      .filter((c) => result.match.gaps.includes(c.id))
      .map((c) => ({ cluster: c.id, size: c.members.length, example: example(c.representative) })),
    contradictions: result.feedback.contradictions.map((c) => ({ ...c, verdict: null })),
  };
}

export function writeReview(dir: string, review: Review): string {
  const header = [
    '# fapo assets review. Edit, then finalize with the fingerprint `fapo assets review <asset>` prints:',
    '#   criteria[].keep: false drops a criterion from the guideline and every rubric;',
    '#   clusters[].include: false leaves a cluster out of the splits;',
    '#   contradictions[].verdict: pass|fail keeps that trace in the regression set (null leaves it out);',
    '#   gaps are intents no trusted trace covers: label some of their traces and run again.',
  ].join('\n');
  writeFileSync(join(dir, REVIEW_FILE), `${header}\n${stringify(review)}`);
  return reviewFingerprint(review);
}

export function readReview(dir: string): { review: Review; fingerprint: string } {
  const review = parseYamlFile(join(resolve(dir), REVIEW_FILE), ReviewSchema);
  return { review, fingerprint: reviewFingerprint(review) };
}

export function reviewFingerprint(review: Review): string {
  return canonicalHash(review).slice(0, 16);
}

export interface Finalized {
  into: string;
  counts: Record<'train' | 'val' | 'test' | 'regression', number>;
  scorer: string;
}

/**
 * Writes the reviewed asset into a task workspace: data/{train,val,test}.jsonl (the earlier files are
 * kept in data/.before-assets/), data/regression.jsonl, guidelines.md, and judge-scorer.ts, which the
 * manifest then names as its scorer.
 */
export function finalizeAsset(
  dirArg: string,
  result: AssetResult,
  opts: { fingerprint: string; into: string },
): Finalized {
  const dir = resolve(dirArg);
  const state = readAssetState(dir);
  if (!state || state.state === 'running')
    throw new FapoError(`${dir}: the asset has not reached review`, 'Run `fapo assets run` first.');
  const { review, fingerprint } = readReview(dir);
  if (fingerprint !== opts.fingerprint)
    throw new FapoError(
      `${join(dir, REVIEW_FILE)}: its fingerprint is ${fingerprint}, not the reviewed ${opts.fingerprint}`,
      'The file changed after it was reviewed: check it again with `fapo assets review`, then finalize with the fingerprint it prints.',
    );
  const into = resolve(opts.into);
  const manifestPath = join(into, 'fapo.task.yaml');
  if (!existsSync(manifestPath))
    throw new FapoError(
      `${into}: not a task workspace (no fapo.task.yaml)`,
      'Create one with `fapo init`, then finalize into it.',
    );

  const kept = review.criteria.filter((c) => c.keep);
  const criterion = new Map(kept.map((c) => [c.id, criterionText(c)]));
  const included = new Set(review.clusters.filter((c) => c.include).map((c) => c.id));
  const rubricOf = new Map(review.clusters.map((c) => [c.id, c.rubric.flatMap((id) => criterion.get(id) ?? [])]));
  const settle = (c: SplitCase): SplitCase => ({
    ...c,
    expected: { ...c.expected, rubric: rubricOf.get(c.metadata.cluster) ?? [] },
  });
  const splits = {
    train: result.splits.train.filter((c) => included.has(c.metadata.cluster)).map(settle),
    val: result.splits.val.filter((c) => included.has(c.metadata.cluster)).map(settle),
    test: result.splits.test.filter((c) => included.has(c.metadata.cluster)).map(settle),
    regression: [
      ...result.splits.regression,
      ...review.contradictions.flatMap((c) => {
        if (c.verdict === null) return [];
        const t = result.traces.find((x) => x.id === c.trace)!;
        const cluster = result.clusters.find((k) => k.members.includes(t.id))!.id;
        return [
          {
            id: t.id,
            input: t.input,
            expected: { rubric: [], verdict: c.verdict, output: t.output },
            metadata: { cluster, source: 'trusted' as const, trace: t.id },
          },
        ];
      }),
    ].map(settle),
  };
  for (const split of ['train', 'val', 'test'] as const)
    if (splits[split].length === 0)
      throw new FapoError(
        `the reviewed asset leaves the ${split} split empty`,
        'Include more clusters, add unlabeled traffic, or change the split shares in asset.yaml.',
      );

  const data = join(into, 'data');
  const backup = join(data, '.before-assets');
  mkdirSync(backup, { recursive: true });
  for (const split of ['train', 'val', 'test', 'regression'] as const) {
    const path = join(data, `${split}.jsonl`);
    if (existsSync(path)) copyFileSync(path, join(backup, `${split}.jsonl`));
    writeFileSync(path, `${splits[split].map((c) => JSON.stringify(c)).join('\n')}\n`);
  }
  const guideline = [review.guideline, ...kept.map((c) => `- ${criterionText(c)}`)].filter(Boolean).join('\n');
  writeFileSync(
    join(into, 'guidelines.md'),
    `# Guidelines (from fapo assets, review ${fingerprint})\n\n${kept
      .map((c) => `- ${criterionText(c)} (from ${c.from.join(', ')})`)
      .join('\n')}\n`,
  );
  const scorer = 'judge-scorer.ts';
  writeFileSync(
    join(into, scorer),
    `// Written by \`fapo assets review --finalize\` (review ${fingerprint}): a judge scorer over the reviewed guideline,\n// each case's rubric in expected.rubric. Give it a judge model: --judge-model, or judge.model in fapo.task.yaml.\nimport { defineJudgeScorer } from 'fapo';\n\nexport default defineJudgeScorer({\n  guideline: ${JSON.stringify(guideline)},\n  reference: () => undefined,\n});\n`,
  );
  const doc = parseDocument(readFileSync(manifestPath, 'utf8'));
  doc.set('scorer', scorer);
  writeFileSync(manifestPath, doc.toString());
  const finalizedState: AssetState = {
    ...state,
    state: 'finalized',
    finalized: { fingerprint, into, at: new Date().toISOString() },
  };
  writeAssetState(dir, finalizedState);
  return {
    into,
    counts: {
      train: splits.train.length,
      val: splits.val.length,
      test: splits.test.length,
      regression: splits.regression.length,
    },
    scorer,
  };
}
