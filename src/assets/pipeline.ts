/**
 * `fapo assets run`: traces and feedback to an evaluation set, in stages. Each stage's result is
 * stored in the asset's store with the fingerprint of its inputs (configuration, files, the previous
 * stage's result); a rerun takes every stage whose fingerprint still matches from the store and
 * rebuilds from the earliest one whose inputs changed. A kill loses at most the stage under way.
 * The run ends at `awaiting_review`: review.yaml is written for people to check and edit, and nothing
 * becomes a dataset before `fapo assets review --finalize`.
 *
 * Stages: validate (the input contract) -> redact -> feedback (verdicts, contradictions, criteria
 * with provenance) -> cluster (TF-IDF intents) -> match (clusters with trusted traces; the others are
 * gaps queued for labelling) -> rubrics (per matched cluster) -> splits (group-safe train / val / test
 * of the unlabeled traffic, and the trusted-only regression set).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { Store } from '../eval/store.ts';
import { FapoError } from '../util/errors.ts';
import { canonicalHash, sha256 } from '../util/hash.ts';
import { mulberry32 } from '../util/random.ts';
import { parseYamlFile } from '../util/yaml.ts';
import { type Cluster, clusterTexts, intentText } from './cluster.ts';
import { type FeedbackSummary, summarizeFeedback } from './feedback.ts';
import { type RedactionReport, redactTraces } from './redact.ts';
import { type AssetConfig, AssetConfigSchema, type Trace } from './schema.ts';
import { mergeTraces, readTraces, type SkippedLine } from './traces.ts';

export const ASSET_FILE = 'asset.yaml';
export const REVIEW_FILE = 'review.yaml';
const STAGE_DOC = 'asset-stage';
const STATE_DOC = 'asset-state';
/** Bumped when a stage's code changes what it produces, so stored results of the old code are rebuilt. */
const STAGE_VERSION = 1;

export const STAGES = ['validate', 'redact', 'feedback', 'cluster', 'match', 'rubrics', 'splits'] as const;
export type StageName = (typeof STAGES)[number];

export interface StageRecord {
  name: StageName;
  fingerprint: string;
  /** Taken from the store (its inputs had not changed) rather than computed by this run. */
  reused: boolean;
  at: string;
}

export interface AssetState {
  state: 'running' | 'awaiting_review' | 'finalized';
  stages: StageRecord[];
  /** Fingerprint of review.yaml as the run wrote it. */
  reviewWritten?: string;
  finalized?: { fingerprint: string; into: string; at: string };
}

export interface SplitCase {
  id: string;
  input: Record<string, unknown>;
  expected: { rubric: string[]; verdict?: 'pass' | 'fail'; output?: unknown };
  metadata: { cluster: string; source: 'unlabeled' | 'trusted'; trace: string };
}

export interface AssetResult {
  validate: { skipped: SkippedLine[]; trusted: number; unlabeled: number };
  redact: RedactionReport;
  feedback: FeedbackSummary;
  clusters: Cluster[];
  match: { matched: string[]; gaps: string[] };
  rubrics: Record<string, string[]>;
  splits: { train: SplitCase[]; val: SplitCase[]; test: SplitCase[]; regression: SplitCase[] };
  traces: Trace[];
}

export function readAssetConfig(dir: string): AssetConfig {
  return parseYamlFile(join(dir, ASSET_FILE), AssetConfigSchema);
}

/** Runs (or resumes) every stage; returns what they produced and which were reused. */
export function runAsset(
  dirArg: string,
  hooks: { onStage?: (s: StageRecord) => void } = {},
): {
  result: AssetResult;
  state: AssetState;
} {
  const dir = resolve(dirArg);
  const config = readAssetConfig(dir);
  const store = Store.open(dir);
  try {
    const records: StageRecord[] = [];
    const previous = store.getDoc<AssetState>(STATE_DOC, 'state');
    let upstream = '';
    const stage = <T>(name: StageName, inputs: unknown, compute: () => T): T => {
      const fingerprint = canonicalHash({ stage: name, version: STAGE_VERSION, upstream, inputs });
      const stored = store.getDoc<{ fingerprint: string; output: T }>(STAGE_DOC, name);
      const reused = stored?.fingerprint === fingerprint;
      if (!reused) store.putDoc(STATE_DOC, 'state', { state: 'running', stages: records } satisfies AssetState);
      const output = reused ? stored.output : compute();
      if (!reused) store.putDoc(STAGE_DOC, name, { fingerprint, output });
      const record = { name, fingerprint, reused, at: new Date().toISOString() };
      records.push(record);
      hooks.onStage?.(record);
      // The next stage's inputs include this one's result, by its fingerprint.
      upstream = fingerprint;
      return output;
    };

    const files = [config.trusted, ...(config.unlabeled ? [config.unlabeled] : [])].map((f) => join(dir, f));
    const read = stage('validate', { files: files.map(fileFingerprint), malformed: config.malformed }, () => {
      const trusted = readTraces(files[0]!, true, config.malformed);
      const unlabeled = config.unlabeled ? readTraces(files[1]!, false, config.malformed) : { traces: [], skipped: [] };
      const traces = mergeTraces([trusted.traces, unlabeled.traces]);
      if (trusted.traces.every((t) => t.feedback.length === 0))
        throw new FapoError(
          `${files[0]}: no trace carries feedback`,
          'Trusted traces need people\'s feedback: {"feedback": {"label": "pass"|"fail", "comment": "..."}}.',
        );
      return {
        traces,
        report: {
          skipped: [...trusted.skipped, ...unlabeled.skipped],
          trusted: trusted.traces.length,
          unlabeled: unlabeled.traces.length,
        },
      };
    });
    const redacted = stage('redact', config.redact, () => redactTraces(read.traces, config.redact));
    const traces = redacted.traces;
    const feedback = stage('feedback', null, () => summarizeFeedback(traces));
    const clusters = stage('cluster', config.cluster, () =>
      clusterTexts(
        traces.map((t) => ({ id: t.id, text: intentText(t.input) })),
        config.cluster.threshold,
      ),
    );
    const match = stage('match', null, () => {
      const trusted = new Set(traces.filter((t) => t.trusted && t.feedback.length > 0).map((t) => t.id));
      const matched = clusters.filter((c) => c.members.some((m) => trusted.has(m))).map((c) => c.id);
      return { matched, gaps: clusters.filter((c) => !matched.includes(c.id)).map((c) => c.id) };
    });
    const rubrics = stage('rubrics', null, () => clusterRubrics(clusters, match.matched, feedback));
    const splits = stage('splits', config.splits, () =>
      groupSafeSplits(traces, clusters, match.matched, rubrics, feedback, config),
    );
    const result: AssetResult = {
      validate: read.report,
      redact: redacted.report,
      feedback,
      clusters,
      match,
      rubrics,
      splits,
      traces,
    };
    // Nothing rebuilt (a rerun, `sample`, `review --finalize`): the review and its outcome still stand.
    const unchanged = previous !== undefined && previous.state !== 'running' && records.every((r) => r.reused);
    const state: AssetState = unchanged
      ? { ...previous, stages: records }
      : { state: 'awaiting_review', stages: records };
    store.putDoc(STATE_DOC, 'state', state);
    return { result, state };
  } finally {
    store.close();
  }
}

export function readAssetState(dir: string): AssetState | undefined {
  const store = Store.open(resolve(dir));
  try {
    return store.getDoc<AssetState>(STATE_DOC, 'state');
  } finally {
    store.close();
  }
}

export function writeAssetState(dir: string, state: AssetState): void {
  const store = Store.open(resolve(dir));
  try {
    store.putDoc(STATE_DOC, 'state', state);
  } finally {
    store.close();
  }
}

function fileFingerprint(path: string): { path: string; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new FapoError(`${path}: cannot read the traces (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return { path, sha256: sha256(bytes) };
}

/** A matched cluster's rubric: the criteria its own trusted traces' feedback named, most named first. */
function clusterRubrics(clusters: readonly Cluster[], matched: readonly string[], feedback: FeedbackSummary) {
  const rubrics: Record<string, string[]> = {};
  for (const c of clusters) {
    if (!matched.includes(c.id)) continue;
    const members = new Set(c.members);
    rubrics[c.id] = feedback.criteria
      .filter((g) => g.from.some((id) => members.has(id)))
      .slice(0, 6)
      .map((g) => g.id);
  }
  return rubrics;
}

/**
 * Whole clusters go to one split (no intent, and so no near-duplicate, on both sides), in a seeded
 * order, each to the split furthest below its share of the cases. Cases are the unlabeled traffic of
 * matched clusters; the trusted traces with a clear verdict are the regression set.
 */
function groupSafeSplits(
  traces: readonly Trace[],
  clusters: readonly Cluster[],
  matched: readonly string[],
  rubrics: Record<string, string[]>,
  feedback: FeedbackSummary,
  config: AssetConfig,
): AssetResult['splits'] {
  const byId = new Map(traces.map((t) => [t.id, t]));
  const clusterOf = new Map(clusters.flatMap((c) => c.members.map((m) => [m, c.id] as const)));
  const toCase = (t: Trace, source: 'unlabeled' | 'trusted'): SplitCase => {
    const cluster = clusterOf.get(t.id)!;
    const verdict = feedback.verdicts[t.id];
    return {
      id: t.id,
      input: t.input,
      expected: {
        rubric: rubrics[cluster] ?? [],
        ...(source === 'trusted' && verdict !== undefined
          ? { verdict: verdict ? 'pass' : 'fail', output: t.output }
          : {}),
      },
      metadata: { cluster, source, trace: t.id },
    };
  };
  const { train, val, test, seed } = config.splits;
  const shares = { train, val, test };
  const total = train + val + test;
  if (total <= 0) throw new FapoError('asset.yaml: splits: train + val + test must be above 0');
  const rng = mulberry32(seed);
  const order = clusters
    .filter((c) => matched.includes(c.id))
    .map((c) => ({ c, key: rng() }))
    .sort((a, b) => a.key - b.key)
    .map(({ c }) => c);
  const out: AssetResult['splits'] = { train: [], val: [], test: [], regression: [] };
  for (const c of order) {
    const cases = c.members
      .map((m) => byId.get(m)!)
      .filter((t) => !t.trusted)
      .map((t) => toCase(t, 'unlabeled'));
    if (cases.length === 0) continue;
    const assigned = out.train.length + out.val.length + out.test.length + cases.length;
    const split = (['train', 'val', 'test'] as const)
      .filter((s) => shares[s] > 0)
      .sort(
        (a, b) => out[a].length - (shares[a] / total) * assigned - (out[b].length - (shares[b] / total) * assigned),
      )[0]!;
    out[split].push(...cases);
  }
  out.regression = traces
    .filter((t) => t.trusted && feedback.verdicts[t.id] !== undefined)
    .map((t) => toCase(t, 'trusted'));
  return out;
}

export const ReviewSchema = z
  .object({
    guideline: z.string(),
    criteria: z.array(
      z
        .object({
          id: z.string(),
          text: z.string(),
          kind: z.enum(['avoid', 'keep']),
          from: z.array(z.string()),
          keep: z.boolean(),
        })
        .strict(),
    ),
    clusters: z.array(
      z
        .object({
          id: z.string(),
          size: z.number().int(),
          terms: z.array(z.string()),
          example: z.string(),
          rubric: z.array(z.string()),
          include: z.boolean(),
        })
        .strict(),
    ),
    gaps: z.array(z.object({ cluster: z.string(), size: z.number().int(), example: z.string() }).strict()),
    contradictions: z.array(
      z
        .object({
          trace: z.string(),
          labels: z.array(
            z.object({ rater: z.string().optional(), pass: z.boolean(), comment: z.string().optional() }).strict(),
          ),
          /** Set by the reviewer to keep the trace in the regression set; null leaves it out. */
          verdict: z.enum(['pass', 'fail']).nullable(),
        })
        .strict(),
    ),
  })
  .strict();
export type Review = z.infer<typeof ReviewSchema>;

/**
 * Traces for people to label next, chosen blind to outcomes (no score, verdict or judge opinion is
 * read): round-robin over clusters, gaps first (intents nobody has judged), then the matched clusters
 * with the fewest trusted traces, each cluster's traces in a seeded order. Traces already trusted are
 * never proposed again.
 */
export function sampleForLabelling(result: AssetResult, n: number, seed: number): Trace[] {
  const byId = new Map(result.traces.map((t) => [t.id, t]));
  const trustedIn = (c: Cluster) => c.members.filter((m) => byId.get(m)!.trusted).length;
  const rng = mulberry32(seed);
  const queues = [...result.clusters]
    .sort((a, b) => trustedIn(a) - trustedIn(b) || b.members.length - a.members.length || a.id.localeCompare(b.id))
    .map((c) =>
      c.members
        .filter((m) => !byId.get(m)!.trusted)
        .map((m) => ({ m, key: rng() }))
        .sort((a, b) => a.key - b.key)
        .map(({ m }) => byId.get(m)!),
    )
    .filter((q) => q.length > 0);
  const picked: Trace[] = [];
  while (picked.length < n && queues.some((q) => q.length > 0))
    for (const q of queues) if (picked.length < n && q.length > 0) picked.push(q.shift()!);
  return picked;
}
