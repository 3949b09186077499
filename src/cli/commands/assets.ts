import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import {
  ASSET_FILE,
  readAssetConfig,
  readAssetState,
  REVIEW_FILE,
  runAsset,
  sampleForLabelling,
  writeAssetState,
} from '../../assets/pipeline.ts';
import { buildReview, finalizeAsset, readReview, writeReview } from '../../assets/review.ts';
import { FapoError } from '../../util/errors.ts';
import { table } from '../format.ts';

export interface CreateFlags {
  trusted: string;
  unlabeled?: string;
  names?: string;
  guideline?: string;
}

/** `fapo assets create`: an asset folder whose asset.yaml names the trace files (paths kept relative). */
export async function assetsCreateCommand(assetDir: string, flags: CreateFlags): Promise<number> {
  const dir = resolve(assetDir);
  if (existsSync(join(dir, ASSET_FILE)))
    throw new FapoError(`${join(dir, ASSET_FILE)} already exists`, 'Edit it, or pick another folder.');
  for (const f of [flags.trusted, flags.unlabeled].filter(Boolean) as string[])
    if (!existsSync(resolve(f))) throw new FapoError(`${resolve(f)}: not found`);
  mkdirSync(dir, { recursive: true });
  const config = {
    name: dir.split('/').pop(),
    trusted: relative(dir, resolve(flags.trusted)),
    ...(flags.unlabeled ? { unlabeled: relative(dir, resolve(flags.unlabeled)) } : {}),
    malformed: 'stop',
    redact: {
      emails: true,
      phones: true,
      keys: true,
      names: flags.names
        ? flags.names
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean)
        : [],
    },
    cluster: { threshold: 0.3 },
    splits: { train: 0.5, val: 0.25, test: 0.25, seed: 1 },
    guideline: flags.guideline ?? '',
  };
  writeFileSync(join(dir, ASSET_FILE), stringify(config));
  readAssetConfig(dir); // what was written must load
  console.log(`created ${join(dir, ASSET_FILE)}; next: fapo assets run ${assetDir}`);
  return 0;
}

/** `fapo assets run`: every stage, each taken from the store when its inputs have not changed. */
export async function assetsRunCommand(assetDir: string, flags: { json?: boolean }): Promise<number> {
  const { result, state } = runAsset(assetDir, {
    onStage: (s) => {
      if (!flags.json) console.log(`${s.name.padEnd(9)} ${s.reused ? 'unchanged (from the store)' : 'built'}`);
    },
  });
  // A review file people may have edited is kept unless a stage was rebuilt (then it no longer fits).
  const keepReview = state.stages.every((s) => s.reused) && existsSync(join(resolve(assetDir), REVIEW_FILE));
  if (!keepReview) {
    const fingerprint = writeReview(resolve(assetDir), buildReview(result, readAssetConfig(assetDir)));
    writeAssetState(assetDir, { ...state, reviewWritten: fingerprint });
  }
  const summary = {
    state: state.state,
    traces: {
      trusted: result.validate.trusted,
      unlabeled: result.validate.unlabeled,
      skipped: result.validate.skipped,
    },
    redacted: result.redact,
    criteria: result.feedback.criteria.length,
    contradictions: result.feedback.contradictions.length,
    clusters: { matched: result.match.matched.length, gaps: result.match.gaps.length },
    splits: Object.fromEntries(Object.entries(result.splits).map(([k, v]) => [k, v.length])),
    review: join(resolve(assetDir), REVIEW_FILE),
    stages: state.stages,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  }
  for (const s of result.validate.skipped) console.error(`skipped ${s.where}: ${s.error}`);
  const r = result.redact.counts;
  console.log(
    `${result.validate.trusted} trusted + ${result.validate.unlabeled} unlabeled traces; redacted ${r.email} e-mail(s), ${r.phone} phone number(s), ${r.key} key(s), ${r.name} name(s) in ${result.redact.traces} trace(s)`,
  );
  console.log(
    `${summary.criteria} criteria from the feedback; ${summary.contradictions} contradiction(s) to settle; ${summary.clusters.matched} clusters with trusted traces, ${summary.clusters.gaps} gap(s) to label`,
  );
  console.log(
    `splits: ${Object.entries(summary.splits)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(`awaiting review: edit ${summary.review}, then \`fapo assets review ${assetDir}\``);
  return 0;
}

export async function assetsStatusCommand(assetDir: string, flags: { json?: boolean }): Promise<number> {
  const state = readAssetState(assetDir);
  if (!state) throw new FapoError(`${resolve(assetDir)}: never run`, `Run \`fapo assets run ${assetDir}\`.`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
    return 0;
  }
  console.log(
    `state: ${state.state}${state.finalized ? ` into ${state.finalized.into} (review ${state.finalized.fingerprint})` : ''}`,
  );
  const t = table(['stage', 'fingerprint', 'last run']);
  for (const s of state.stages) t.push([s.name, s.fingerprint.slice(0, 12), s.reused ? 'unchanged' : 'built']);
  console.log(t.toString());
  return 0;
}

/** `fapo assets review`: what the review file holds now, and its fingerprint; with --finalize, ship it. */
export async function assetsReviewCommand(
  assetDir: string,
  flags: { finalize?: string; into?: string; json?: boolean },
): Promise<number> {
  const { review, fingerprint } = readReview(assetDir);
  if (!flags.finalize) {
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ fingerprint, review }, null, 2)}\n`);
      return 0;
    }
    const kept = review.criteria.filter((c) => c.keep).length;
    const included = review.clusters.filter((c) => c.include).length;
    const settled = review.contradictions.filter((c) => c.verdict !== null).length;
    console.log(
      `criteria kept ${kept}/${review.criteria.length}; clusters included ${included}/${review.clusters.length}; contradictions settled ${settled}/${review.contradictions.length}; gaps ${review.gaps.length}`,
    );
    console.log(`fingerprint ${fingerprint}`);
    console.log(`finalize: fapo assets review ${assetDir} --finalize ${fingerprint} --into <task workspace>`);
    return 0;
  }
  if (!flags.into) throw new FapoError('--finalize needs --into <task workspace>');
  // Every stage is unchanged since the run, so this reads them from the store.
  const { result, state } = runAsset(assetDir);
  if (state.stages.some((s) => !s.reused))
    throw new FapoError(
      `${resolve(assetDir)}: the traces or asset.yaml changed since the review was written`,
      `Run \`fapo assets run ${assetDir}\` and review the new review.yaml.`,
    );
  const done = finalizeAsset(assetDir, result, { fingerprint: flags.finalize, into: flags.into });
  if (flags.json) process.stdout.write(`${JSON.stringify(done, null, 2)}\n`);
  else
    console.log(
      `wrote ${Object.entries(done.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} into ${done.into}/data; scorer: ${done.scorer} (a judge: give it --judge-model)`,
    );
  return 0;
}

/**
 * `fapo assets sample`: traces for people to label, stratified by cluster and blind to outcomes, as
 * a JSONL file with an empty feedback slot per trace (fill it in, add the lines to the trusted file).
 */
export async function assetsSampleCommand(
  assetDir: string,
  flags: { n: string; out: string; seed: string },
): Promise<number> {
  const n = Number(flags.n);
  if (!Number.isInteger(n) || n <= 0) throw new FapoError(`--n must be a positive integer, got "${flags.n}"`);
  const { result } = runAsset(assetDir);
  const picked = sampleForLabelling(result, n, Number(flags.seed) || 0);
  const clusterOf = new Map(result.clusters.flatMap((c) => c.members.map((m) => [m, c.id] as const)));
  const out = resolve(flags.out);
  writeFileSync(
    out,
    `${picked
      .map((t) =>
        JSON.stringify({
          id: t.id,
          input: t.input,
          output: t.output,
          metadata: { ...t.metadata, cluster: clusterOf.get(t.id) },
          feedback: { rater: '', label: null, comment: '' },
        }),
      )
      .join('\n')}\n`,
  );
  const gaps = picked.filter((t) => result.match.gaps.includes(clusterOf.get(t.id)!)).length;
  console.log(
    `${picked.length} trace(s) to label in ${out} (${gaps} from gaps); no score or verdict is shown or used to pick them`,
  );
  return 0;
}
